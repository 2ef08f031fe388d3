"""Starts localstripe for the tests, closer to Stripe where it matters.

localstripe (PyPI, 1.15.x) is a stateful fake Stripe server. This launcher:

* binds 127.0.0.1 only (localstripe itself binds every interface), on the
  port given with --port, and never loads or saves state on disk;
* fills in response fields that async-stripe's types require and localstripe
  omits (PaymentIntent: amount_capturable, amount_received,
  confirmation_method, payment_method_types; latest_charge as an id);
* accepts the Connect parameters of a destination charge
  (application_fee_amount, transfer_data, transfer_group, description) and
  returns them on the PaymentIntent;
* adds what Connect needs and localstripe lacks: accounts (express),
  account links and transfers, plus a test hook to finish onboarding;
* honours Idempotency-Key like Stripe: the same key and path replays the
  first answer instead of acting twice, and a request whose key is still
  in use by another one in progress is refused with 409;
* can inject faults: POST /_config/faults {"count": n, "when": "before" |
  "after", "status": 500} makes the next n API calls fail, either before
  acting or after acting (the answer is lost but the effect happened).
"""

import argparse
import json
import random
import string
import time

from aiohttp import web

import localstripe.resources as resources
from localstripe.resources import Charge, PaymentIntent, Refund, UserError, store
from localstripe import server


def rid(prefix):
    return prefix + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(14))


# ---- PaymentIntent: Connect parameters and required fields

_pi_init = PaymentIntent.__init__
CONNECT_PARAMS = ("application_fee_amount", "transfer_data", "transfer_group", "description", "on_behalf_of")


def _pi_init_connect(self, **data):
    extra = {k: data.pop(k) for k in CONNECT_PARAMS if k in data}
    _pi_init(self, **data)
    if "application_fee_amount" in extra:
        extra["application_fee_amount"] = int(extra["application_fee_amount"])
    for k in CONNECT_PARAMS:
        setattr(self, k, extra.get(k))


PaymentIntent.__init__ = _pi_init_connect

_pi_export = PaymentIntent._export


def _pi_export_full(self, expand=None):
    obj = _pi_export(self, expand=expand)
    status = obj.get("status")
    amount = obj.get("amount", 0)
    charge = obj.get("latest_charge")
    captured = 0
    if isinstance(charge, dict):
        captured = charge.get("amount", 0) if charge.get("captured") else 0
        if "latest_charge" not in (expand or []):
            obj["latest_charge"] = charge["id"]
    obj.setdefault("amount_capturable", amount if status == "requires_capture" else 0)
    obj["amount_capturable"] = amount if status == "requires_capture" else 0
    obj["amount_received"] = captured if status == "succeeded" else 0
    obj.setdefault("confirmation_method", "automatic")
    obj.setdefault("payment_method_types", ["card"])
    obj.pop("charges", None)
    return obj


PaymentIntent._export = _pi_export_full


# ---- Refunds never above what was captured (localstripe does not check)

_refund_init = Refund.__init__


def _refund_init_checked(self, charge=None, payment_intent=None, amount=None, **kwargs):
    charge_id = charge
    if charge_id is None and payment_intent is not None:
        pi = PaymentIntent._api_retrieve(payment_intent)
        charge_id = pi.latest_charge.id if pi.latest_charge else None
    if charge_id is not None:
        ch = Charge._api_retrieve(charge_id)
        if not ch.captured:
            raise UserError(400, "This charge has not been captured")
        done = sum(r.amount for k, r in store.items() if k.startswith("refund:") and r.charge == charge_id)
        wanted = int(amount) if amount is not None else ch.amount - done
        if wanted <= 0 or done + wanted > ch.amount:
            raise UserError(400, "Refund amount is greater than the unrefunded amount of the charge")
    _refund_init(self, charge=charge, payment_intent=payment_intent, amount=amount, **kwargs)


Refund.__init__ = _refund_init_checked


# ---- Connect: accounts, account links, transfers

accounts = {}
transfers = {}


def account_json(a):
    return dict(a)


async def create_account(request):
    data = await server.get_post_data(request) or {}
    acct = {
        "id": rid("acct_"),
        "object": "account",
        "type": data.get("type", "express"),
        "country": data.get("country", "GB"),
        "email": data.get("email"),
        "created": int(time.time()),
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "metadata": data.get("metadata") or {},
        "default_currency": "gbp",
    }
    accounts[acct["id"]] = acct
    return web.json_response(account_json(acct))


async def retrieve_account(request):
    acct = accounts.get(request.match_info["id"])
    if acct is None:
        raise UserError(404, "No such account")
    return web.json_response(account_json(acct))


async def enable_account(request):
    """Test hook: the account finished onboarding."""
    acct = accounts.get(request.match_info["id"])
    if acct is None:
        raise UserError(404, "No such account")
    acct.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
    return web.json_response(account_json(acct))


async def create_account_link(request):
    data = await server.get_post_data(request) or {}
    if data.get("account") not in accounts:
        raise UserError(404, "No such account")
    now = int(time.time())
    return web.json_response({
        "object": "account_link",
        "created": now,
        "expires_at": now + 300,
        "url": "https://connect.localstripe.test/setup/e/" + data["account"] + "/" + rid(""),
    })


async def create_transfer(request):
    data = await server.get_post_data(request) or {}
    dest = data.get("destination")
    if dest not in accounts:
        raise UserError(404, "No such destination account")
    if not accounts[dest]["payouts_enabled"]:
        raise UserError(400, "The destination account cannot receive transfers yet")
    amount = int(data.get("amount", 0))
    if amount <= 0:
        raise UserError(400, "Invalid amount")
    tr = {
        "id": rid("tr_"),
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "currency": data.get("currency", "gbp"),
        "destination": dest,
        "created": int(time.time()),
        "livemode": False,
        "metadata": data.get("metadata") or {},
        "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": "/v1/transfers/reversals"},
        "reversed": False,
        "transfer_group": data.get("transfer_group"),
    }
    transfers[tr["id"]] = tr
    return web.json_response(tr)


async def list_transfers(request):
    data = list(transfers.values())
    dest = request.query.get("destination")
    if dest:
        data = [t for t in data if t["destination"] == dest]
    return web.json_response({"object": "list", "data": data, "has_more": False, "url": "/v1/transfers"})


# ---- Idempotency keys and fault injection

idempotent = {}
in_progress = set()
faults = {"count": 0, "when": "before", "status": 500}


async def set_faults(request):
    data = await request.json()
    faults.update(count=int(data.get("count", 1)), when=data.get("when", "before"),
                  status=int(data.get("status", 500)))
    return web.json_response(faults)


def injected():
    return web.json_response(
        {"error": {"type": "api_error", "message": "Injected fault"}}, status=faults["status"])


@web.middleware
async def idempotency_and_faults(request, handler):
    if not request.path.startswith("/v1/"):
        return await handler(request)
    if faults["count"] > 0 and faults["when"] == "before":
        faults["count"] -= 1
        return injected()
    key = request.headers.get("Idempotency-Key")
    cache_key = (request.method, request.path, key)
    if key and request.method == "POST" and cache_key in idempotent:
        status, body = idempotent[cache_key]
        response = web.Response(status=status, body=body, content_type="application/json")
        response.headers["Idempotent-Replayed"] = "true"
    elif key and request.method == "POST" and cache_key in in_progress:
        return web.json_response(
            {"error": {"type": "idempotency_error",
                       "message": "There is currently another in-progress request using this Idempotency Key"}},
            status=409)
    else:
        if key and request.method == "POST":
            in_progress.add(cache_key)
        try:
            response = await handler(request)
        finally:
            in_progress.discard(cache_key)
        # Like Stripe: results are kept once the endpoint acted (success or a
        # card decline), not for requests refused as invalid.
        if key and request.method == "POST" and (response.status < 300 or response.status == 402):
            idempotent[cache_key] = (response.status, response.body)
    if faults["count"] > 0 and faults["when"] == "after":
        faults["count"] -= 1
        return injected()
    return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    store.clear()
    # Never write the store to disk.
    store.dump_to_disk = lambda *a, **k: None
    app = server.app
    app.middlewares.insert(0, idempotency_and_faults)
    app.router.add_post("/_config/faults", set_faults)
    app.router.add_post("/_config/accounts/{id}/enable", enable_account)
    app.router.add_post("/v1/accounts", create_account)
    app.router.add_get("/v1/accounts/{id}", retrieve_account)
    app.router.add_post("/v1/account_links", create_account_link)
    app.router.add_post("/v1/transfers", create_transfer)
    app.router.add_get("/v1/transfers", list_transfers)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=lambda *a: print(*a, flush=True))


if __name__ == "__main__":
    main()
