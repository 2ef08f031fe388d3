"""Checks everything under deploy/ offline; run by tests/it/deploy.rs (and so by
`cargo xtask test`) with the pinned tools of xtask/python-requirements.txt.

1. Renders the Kustomize base and every overlay (kustomize_lite.py).
2. Checks what they render hangs together: unique names, images set,
   selectors that select, Services, HPAs, PDBs and NetworkPolicies pointing
   at workloads that exist, Secrets and ConfigMaps either rendered or in the
   list of those created outside Git, probes and resources on every
   container; every part and the web front end present, the Ingress sending
   `/` to the front end, and the front end reachable from the ingress
   controller and reaching the gateway only; each part signing internal
   calls with its own key Secret and trusting the shared list of public
   keys, its migrations Job holding no key; `/metrics` on each part's and
   the web front end's own metrics port, which no Service exposes and only
   the monitoring namespace may reach; spans to the monitoring namespace's
   OTLP port alone.
3. Validates every built-in resource against the Kubernetes schemas
   (kubernetes-validate --strict) and the CloudNativePG resources against
   the fields this deployment relies on.
4. Scans the rendered overlays and the Dockerfile with checkov; any failed
   check fails (skips are listed, with their reasons, in deploy/.checkov.yaml).
5. Runs `docker-compose config` on deploy/docker-compose.yml, and checks
   that it and the Dockerfile carry the web front end (its service, its
   GOV.UK Frontend assets at WEB_ASSETS_DIR), that each part gets its own
   signing key and no shared one, and that no metrics port is published.

Usage: python deploy/tools/check.py [--tools-bin DIR] [--out DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(__file__))
import kustomize_lite  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
KUSTOMIZATIONS = ["base", "overlays/dev", "overlays/production"]
KUBERNETES_VERSION = "1.30.0"

# Created by the operator (README "Deploy") or by CloudNativePG, never in Git.
PARTS = ("gateway", "inventory", "eligibility", "bookings", "payments")
EXTERNAL_SECRETS = {
    *(f"roundabout-internal-{p}" for p in PARTS), "roundabout-internal-trust",
    "roundabout-token-signing", "roundabout-stripe", "roundabout-notify",
    "roundabout-bootstrap-admin", "roundabout-backup-s3", "roundabout-tls",
    "roundabout-web-session",
}
CNPG_APP_SECRET = re.compile(r"^[a-z]+-db-app$")
CNPG_KINDS = {"Cluster", "ScheduledBackup"}

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL {msg}")


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def pod_labels(resources):
    """Label sets of every pod the resources create (CNPG instances carry
    cnpg.io/cluster)."""
    out = []
    for r in resources:
        t = kustomize_lite.pod_template(r)
        if t is not None:
            out.append((r, t.get("metadata", {}).get("labels", {})))
        if r["kind"] == "Cluster":
            out.append((r, {"cnpg.io/cluster": r["metadata"]["name"]}))
    return out


def check_consistency(name, resources):
    seen = set()
    for r in resources:
        key = (r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"])
        if key in seen:
            fail(f"{name}: duplicate {key}")
        seen.add(key)
        if r["kind"] != "Namespace" and not r["metadata"].get("namespace") and name != "base":
            fail(f"{name}: {kustomize_lite.name_of(r)} has no namespace")
    pods = pod_labels(resources)
    by_kind = {}
    for r in resources:
        by_kind.setdefault(r["kind"], {})[r["metadata"]["name"]] = r
    configmaps = set(by_kind.get("ConfigMap", {}))
    secrets = set(by_kind.get("Secret", {})) | EXTERNAL_SECRETS
    for r in resources:
        rid = f"{name}: {kustomize_lite.name_of(r)}"
        t = kustomize_lite.pod_template(r)
        if t is not None:
            if r["kind"] == "Deployment":
                sel = r["spec"]["selector"]["matchLabels"]
                if not labels_match(sel, t["metadata"]["labels"]):
                    fail(f"{rid}: selector does not select its own pods")
            spec = t["spec"]
            for v in spec.get("volumes", []):
                s = v.get("secret", {}).get("secretName")
                if s and s not in secrets and not CNPG_APP_SECRET.match(s):
                    fail(f"{rid}: volume uses unknown Secret {s}")
                if s and CNPG_APP_SECRET.match(s) and s[: -len("-app")] not in by_kind.get("Cluster", {}):
                    fail(f"{rid}: Secret {s} belongs to no CloudNativePG Cluster here")
            for c in spec["containers"]:
                if c.get("image", "") in ("", "roundabout") or ":" not in c["image"]:
                    fail(f"{rid}: container {c['name']} has no resolved image ({c.get('image')})")
                for ef in c.get("envFrom", []):
                    cm = ef.get("configMapRef", {}).get("name")
                    if cm and cm not in configmaps:
                        fail(f"{rid}: envFrom unknown ConfigMap {cm}")
                res = c.get("resources", {})
                if not res.get("requests") or not res.get("limits"):
                    fail(f"{rid}: container {c['name']} lacks resource requests and limits")
                if r["kind"] == "Deployment" and not (c.get("livenessProbe") and c.get("readinessProbe")):
                    fail(f"{rid}: container {c['name']} lacks liveness and readiness probes")
                mounts = {m["name"] for m in c.get("volumeMounts", [])}
                if mounts - {v["name"] for v in spec.get("volumes", [])}:
                    fail(f"{rid}: mounts volumes that are not declared")
        if r["kind"] == "Service":
            sel = r["spec"].get("selector")
            if not any(labels_match(sel, lbl) for _, lbl in pods):
                fail(f"{rid}: selects no pods")
        if r["kind"] in ("HorizontalPodAutoscaler",):
            ref = r["spec"]["scaleTargetRef"]
            if ref["name"] not in by_kind.get(ref["kind"], {}):
                fail(f"{rid}: scales unknown {ref['kind']}/{ref['name']}")
        if r["kind"] == "PodDisruptionBudget":
            if not any(labels_match(r["spec"]["selector"]["matchLabels"], lbl) for _, lbl in pods):
                fail(f"{rid}: selects no pods")
        if r["kind"] == "NetworkPolicy":
            sel = r["spec"]["podSelector"].get("matchLabels")
            if sel and not any(labels_match(sel, lbl) for _, lbl in pods):
                fail(f"{rid}: podSelector selects no pods")
            for rule in r["spec"].get("ingress", []) + r["spec"].get("egress", []):
                for peer in rule.get("from", []) + rule.get("to", []):
                    ps = peer.get("podSelector", {}).get("matchLabels")
                    if ps and "namespaceSelector" not in peer and not any(labels_match(ps, lbl) for _, lbl in pods):
                        fail(f"{rid}: peer {ps} selects no pods")
        if r["kind"] == "Ingress":
            for rule in r["spec"]["rules"]:
                for p in rule["http"]["paths"]:
                    svc = p["backend"]["service"]["name"]
                    if svc not in by_kind.get("Service", {}):
                        fail(f"{rid}: path {p['path']} goes to unknown Service {svc}")
            if not r["spec"].get("tls"):
                fail(f"{rid}: no TLS")
        if r["kind"] == "ScheduledBackup":
            if r["spec"]["cluster"]["name"] not in by_kind.get("Cluster", {}):
                fail(f"{rid}: backs up unknown Cluster")
    # Production backs up every database: WAL archiving and a nightly base backup.
    if "production" in name:
        scheduled = {r["spec"]["cluster"]["name"] for r in by_kind.get("ScheduledBackup", {}).values()}
        for cname, c in by_kind.get("Cluster", {}).items():
            if "backup" not in c["spec"] or cname not in scheduled:
                fail(f"{name}: Cluster/{cname} has no backups")
    # Every part has its Deployment, Service, HPA, PDB, Job, database and policy.
    for part in PARTS:
        for kind, n in (("Deployment", part), ("Service", part), ("HorizontalPodAutoscaler", part),
                        ("PodDisruptionBudget", part), ("Job", f"{part}-migrate"), ("Cluster", f"{part}-db"),
                        ("NetworkPolicy", part)):
            if n not in by_kind.get(kind, {}):
                fail(f"{name}: missing {kind}/{n}")
    check_internal_keys(name, by_kind)
    check_metrics(name, by_kind)
    check_otlp(name, by_kind)
    check_database_tls(name, by_kind)
    check_web(name, by_kind)


def secret_files(pod_spec, container):
    """Where each Secret is mounted in the container: {secret: mount path}."""
    volumes = {v["name"]: v.get("secret", {}).get("secretName") for v in pod_spec.get("volumes", [])}
    return {volumes.get(m["name"]): m["mountPath"] for m in container.get("volumeMounts", [])
            if volumes.get(m["name"])}


def check_internal_keys(name, by_kind):
    """Each part reads its own private key (its own Secret) and the shared
    list of public keys from files; no part can read another's private key;
    no shared internal key is left; migrations Jobs hold no key at all."""
    for part in PARTS:
        deployment = by_kind.get("Deployment", {}).get(part)
        if not deployment:
            continue
        spec = deployment["spec"]["template"]["spec"]
        [container] = spec["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        mounts = secret_files(spec, container)
        own = f"roundabout-internal-{part}"
        for var, secret, key in (("INTERNAL_SIGNING_KEY_FILE", own, "signing-key"),
                                 ("INTERNAL_TRUSTED_KEYS_FILE", "roundabout-internal-trust", "trusted-keys")):
            if secret not in mounts or env.get(var) != f"{mounts[secret]}/{key}":
                fail(f"{name}: Deployment/{part} does not read {var} from Secret {secret} ({env.get(var)})")
        others = {s for s in mounts if s.startswith("roundabout-internal-")} - {own, "roundabout-internal-trust"}
        if others:
            fail(f"{name}: Deployment/{part} mounts other parts' private keys {sorted(others)}")
        if any(v.startswith("INTERNAL_AUTH_KEY") for v in env):
            fail(f"{name}: Deployment/{part} still reads a shared INTERNAL_AUTH_KEY")
        job = by_kind.get("Job", {}).get(f"{part}-migrate")
        if job:
            jspec = job["spec"]["template"]["spec"]
            for c in jspec["containers"]:
                held = {s for s in secret_files(jspec, c) if s.startswith("roundabout-internal-")}
                jenv = {e["name"] for e in c.get("env", [])}
                if held or any(v.startswith("INTERNAL_") for v in jenv):
                    fail(f"{name}: Job/{part}-migrate holds internal keys it does not need")


def check_database_tls(name, by_kind):
    """Every part reaches its database over TLS: the shared settings ask for
    at least `require` (docs/DATA-PROTECTION.md)."""
    configmap = by_kind.get("ConfigMap", {}).get("roundabout-config", {}).get("data", {})
    if configmap.get("DATABASE_SSLMODE") not in ("require", "verify-ca", "verify-full"):
        fail(f"{name}: roundabout-config lets parts reach their databases without TLS "
             f"(DATABASE_SSLMODE={configmap.get('DATABASE_SSLMODE')!r})")


def check_metrics(name, by_kind):
    """`/metrics` is on each part's own port (METRICS_PORT), annotated for
    Prometheus, exposed by no Service, and reachable from the monitoring
    namespace alone, which reaches nothing else of the part."""
    configmap = by_kind.get("ConfigMap", {}).get("roundabout-config", {}).get("data", {})
    try:
        metrics_port = int(configmap.get("METRICS_PORT", ""))
    except ValueError:
        fail(f"{name}: roundabout-config has no METRICS_PORT")
        return
    for part in PARTS + ("web",):
        deployment = by_kind.get("Deployment", {}).get(part)
        service = by_kind.get("Service", {}).get(part)
        policy = by_kind.get("NetworkPolicy", {}).get(part)
        if not (deployment and service and policy):
            continue
        template = deployment["spec"]["template"]
        [container] = template["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        if ports.get("metrics") != metrics_port or ports.get("http") == metrics_port:
            fail(f"{name}: Deployment/{part} does not declare its own metrics port {metrics_port} ({ports})")
        annotations = template["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/port") != str(metrics_port):
            fail(f"{name}: Deployment/{part} tells Prometheus to scrape port {annotations.get('prometheus.io/port')}")
        for sp in service["spec"]["ports"]:
            if sp.get("targetPort") in ("metrics", metrics_port) or sp.get("port") == metrics_port:
                fail(f"{name}: Service/{part} exposes the metrics port")
        for rule in policy["spec"].get("ingress", []):
            rule_ports = {p.get("port") for p in rule.get("ports", [])}
            peers = rule.get("from", [])
            monitoring = [p for p in peers if p.get("namespaceSelector", {}).get("matchLabels", {})
                          .get("kubernetes.io/metadata.name") == "monitoring"]
            if not rule.get("ports"):
                fail(f"{name}: NetworkPolicy/{part} lets peers in on every port")
            elif monitoring and rule_ports != {metrics_port}:
                fail(f"{name}: NetworkPolicy/{part} lets monitoring in on {sorted(rule_ports)}, not the metrics port alone")
            elif not monitoring and metrics_port in rule_ports:
                fail(f"{name}: NetworkPolicy/{part} lets more than monitoring reach the metrics port")
        if not from_namespace(policy["spec"].get("ingress", []), "monitoring", metrics_port):
            fail(f"{name}: NetworkPolicy/{part} does not let monitoring scrape port {metrics_port}")


def check_otlp(name, by_kind):
    """Spans leave for the monitoring namespace's OTLP/HTTP port (4318) and
    nowhere else, from every part and the web front end; the endpoint is
    configured (empty until set)."""
    configmap = by_kind.get("ConfigMap", {}).get("roundabout-config", {}).get("data", {})
    if "OTEL_EXPORTER_OTLP_ENDPOINT" not in configmap:
        fail(f"{name}: roundabout-config has no OTEL_EXPORTER_OTLP_ENDPOINT")
    policy = by_kind.get("NetworkPolicy", {}).get("allow-otlp")
    if policy is None:
        fail(f"{name}: missing NetworkPolicy/allow-otlp")
        return
    spec = policy["spec"]
    selected = set()
    for expr in spec["podSelector"].get("matchExpressions", []):
        if expr.get("key") == "app.kubernetes.io/name" and expr.get("operator") == "In":
            selected |= set(expr.get("values", []))
    if selected != set(PARTS) | {"web"}:
        fail(f"{name}: NetworkPolicy/allow-otlp applies to {sorted(selected)}, not every part and the web front end")
    if spec.get("policyTypes") != ["Egress"] or spec.get("ingress"):
        fail(f"{name}: NetworkPolicy/allow-otlp must only allow egress")
    for rule in spec.get("egress", []):
        ports = {(p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports", [])}
        peers = rule.get("to", [])
        if ports != {("TCP", 4318)} or not peers or any(
            set(p) != {"namespaceSelector"}
            or p["namespaceSelector"].get("matchLabels") != {"kubernetes.io/metadata.name": "monitoring"}
            for p in peers
        ):
            fail(f"{name}: NetworkPolicy/allow-otlp lets out more than OTLP to monitoring ({rule})")


def peers_allow(rules, direction, labels, port):
    """Whether one of a NetworkPolicy's rules lets pods with these labels
    (same namespace) in or out on this TCP port."""
    for rule in rules:
        ports = rule.get("ports")
        if ports and not any(p.get("port") == port and p.get("protocol", "TCP") == "TCP" for p in ports):
            continue
        for peer in rule.get(direction, []):
            ps = peer.get("podSelector", {}).get("matchLabels")
            if ps and "namespaceSelector" not in peer and labels_match(ps, labels):
                return True
    return False


def from_namespace(rules, namespace, port):
    for rule in rules:
        if not any(p.get("port") == port for p in rule.get("ports", [])):
            continue
        for peer in rule.get("from", []):
            ns = peer.get("namespaceSelector", {}).get("matchLabels", {})
            if ns.get("kubernetes.io/metadata.name") == namespace and "podSelector" not in peer:
                return True
    return False


def check_web(name, by_kind):
    """The web front end: Deployment, Service, HPA, PDB and NetworkPolicy;
    the Ingress sends `/` to it; it is reached from the ingress controller
    and reaches the gateway only, which lets it in."""
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
        if "web" not in by_kind.get(kind, {}):
            fail(f"{name}: missing {kind}/web")
    deployment = by_kind.get("Deployment", {}).get("web")
    service = by_kind.get("Service", {}).get("web")
    policy = by_kind.get("NetworkPolicy", {}).get("web")
    gateway_policy = by_kind.get("NetworkPolicy", {}).get("gateway")
    gateway = by_kind.get("Deployment", {}).get("gateway")
    if not (deployment and service and policy and gateway_policy and gateway):
        return
    pod = deployment["spec"]["template"]
    web_labels = pod["metadata"]["labels"]
    gateway_labels = gateway["spec"]["template"]["metadata"]["labels"]
    [container] = pod["spec"]["containers"]
    if container.get("args") != ["serve", "web"]:
        fail(f"{name}: Deployment/web does not run `serve web` ({container.get('args')})")
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    web_port = ports.get("http")
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    if web_port is None or env.get("PORT") != str(web_port):
        fail(f"{name}: Deployment/web listens on PORT {env.get('PORT')} but declares port {web_port}")
    if "WEB_SESSION_KEY_FILE" not in env:
        fail(f"{name}: Deployment/web has no WEB_SESSION_KEY_FILE")
    for probe in ("livenessProbe", "readinessProbe"):
        path = container.get(probe, {}).get("httpGet", {}).get("path")
        if path not in ("/healthz", "/readyz"):
            fail(f"{name}: Deployment/web {probe} is not on /healthz or /readyz ({path})")
    configmap = by_kind.get("ConfigMap", {}).get("roundabout-config", {}).get("data", {})
    gateway_service = by_kind.get("Service", {}).get("gateway")
    gateway_port = gateway_service["spec"]["ports"][0]["port"] if gateway_service else None
    if configmap.get("GATEWAY_URL") != f"http://gateway:{gateway_port}":
        fail(f"{name}: GATEWAY_URL is {configmap.get('GATEWAY_URL')}, not the gateway Service")
    # Reached from the ingress controller; reaches the gateway and nothing else.
    if set(policy["spec"].get("policyTypes", [])) != {"Ingress", "Egress"}:
        fail(f"{name}: NetworkPolicy/web must restrict both Ingress and Egress")
    if not from_namespace(policy["spec"].get("ingress", []), "ingress-nginx", web_port):
        fail(f"{name}: NetworkPolicy/web does not let the ingress controller in on {web_port}")
    egress = policy["spec"].get("egress", [])
    if not peers_allow(egress, "to", gateway_labels, 8080):
        fail(f"{name}: NetworkPolicy/web does not let the front end reach the gateway")
    for rule in egress:
        for peer in rule.get("to", []) or [{}]:
            ps = peer.get("podSelector", {}).get("matchLabels")
            if "namespaceSelector" in peer or "ipBlock" in peer or not ps or not labels_match(ps, gateway_labels):
                fail(f"{name}: NetworkPolicy/web lets the front end out to more than the gateway ({peer})")
    if not peers_allow(gateway_policy["spec"].get("ingress", []), "from", web_labels, 8080):
        fail(f"{name}: NetworkPolicy/gateway does not let the web front end in")
    # The Ingress: `/` to the front end; /graphql still to the gateway and
    # the Stripe webhook still to payments.
    routes = {}
    for ingress in by_kind.get("Ingress", {}).values():
        for rule in ingress["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                routes[p["path"]] = (p["pathType"], p["backend"]["service"]["name"])
    for path, want in (("/", ("Prefix", "web")), ("/graphql", ("Exact", "gateway")),
                       ("/webhooks/stripe", ("Exact", "payments"))):
        if routes.get(path) != want:
            fail(f"{name}: Ingress path {path} is {routes.get(path)}, not {want}")


def check_cnpg(name, r):
    """The fields of CloudNativePG's Cluster and ScheduledBackup this
    deployment relies on (kubernetes-validate has no schema for them)."""
    rid = f"{name}: {kustomize_lite.name_of(r)}"
    spec = r.get("spec", {})
    if r["apiVersion"] != "postgresql.cnpg.io/v1":
        fail(f"{rid}: apiVersion {r['apiVersion']}")
    if r["kind"] == "Cluster":
        allowed = {"instances", "imageName", "primaryUpdateStrategy", "bootstrap", "storage", "resources",
                   "postgresql", "backup", "affinity", "monitoring", "minSyncReplicas", "maxSyncReplicas"}
        if set(spec) - allowed:
            fail(f"{rid}: unexpected fields {sorted(set(spec) - allowed)}")
        if not isinstance(spec.get("instances"), int) or spec["instances"] < 1:
            fail(f"{rid}: instances must be a positive integer")
        if not re.fullmatch(r"ghcr\.io/cloudnative-pg/postgresql:\d+\.\d+", spec.get("imageName", "")):
            fail(f"{rid}: imageName must pin a PostgreSQL version")
        initdb = spec.get("bootstrap", {}).get("initdb", {})
        if not initdb.get("database") or not initdb.get("owner"):
            fail(f"{rid}: bootstrap.initdb needs database and owner")
        if not re.fullmatch(r"\d+(Mi|Gi|Ti)", str(spec.get("storage", {}).get("size", ""))):
            fail(f"{rid}: storage.size")
        if "backup" in spec:
            store = spec["backup"].get("barmanObjectStore", {})
            if not store.get("destinationPath", "").startswith("s3://") or "s3Credentials" not in store:
                fail(f"{rid}: backup.barmanObjectStore needs destinationPath and s3Credentials")
        if spec.get("minSyncReplicas", 0) > spec.get("maxSyncReplicas", 0) or (
            spec.get("maxSyncReplicas", 0) >= spec.get("instances", 1) and spec.get("maxSyncReplicas")
        ):
            fail(f"{rid}: sync replicas must be fewer than instances")
    else:
        if set(spec) - {"schedule", "backupOwnerReference", "method", "cluster"}:
            fail(f"{rid}: unexpected fields")
        if len(spec.get("schedule", "").split()) != 6:
            fail(f"{rid}: schedule must have six fields (seconds first)")


def check_compose_and_dockerfile():
    """The web front end in the Compose file (hardened like the parts,
    sharing a network with the gateway alone, after a healthy gateway) and in the image (the
    built assets copied to WEB_ASSETS_DIR, its port exposed)."""
    with open(os.path.join(DEPLOY, "docker-compose.yml"), encoding="utf-8") as f:
        services = yaml.safe_load(f)["services"]
    web = services.get("web")
    if web is None:
        fail("docker-compose.yml: no web service")
    else:
        env = web.get("environment", {})
        wants = {
            "command": web.get("command") == ["serve", "web"],
            "read_only": web.get("read_only") is True,
            "cap_drop ALL": web.get("cap_drop") == ["ALL"],
            "no-new-privileges": "no-new-privileges:true" in web.get("security_opt", []),
            "a healthcheck": bool(web.get("healthcheck", {}).get("test")),
            "no network shared with anything but the gateway": bool(web.get("networks")) and all(
                set(other.get("networks") or []).isdisjoint(web["networks"])
                for n, other in services.items() if n not in ("web", "gateway")
            ),
            "a network shared with the gateway": bool(
                set(web.get("networks") or []) & set(services.get("gateway", {}).get("networks") or [])
            ),
            "a healthy gateway first": web.get("depends_on", {}).get("gateway", {}).get("condition")
            == "service_healthy",
            "GATEWAY_URL of the gateway": env.get("GATEWAY_URL") == "http://gateway:8080",
            "WEB_SESSION_KEY": "WEB_SESSION_KEY" in env,
            "no service or database secrets": not (
                {"INTERNAL_SIGNING_KEY", "INTERNAL_TRUSTED_KEYS", "DATABASE_URL"} & set(env)
            ),
        }
        for what, ok in wants.items():
            if not ok:
                fail(f"docker-compose.yml: the web service should have {what}")
    check_compose_parts(services)
    with open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8") as f:
        dockerfile = f.read()
    assets = re.search(r"WEB_ASSETS_DIR=(\S+)", dockerfile)
    if not assets:
        fail("Dockerfile: WEB_ASSETS_DIR is not set")
    elif not re.search(rf"^COPY --from=\S+ \S+ {re.escape(assets.group(1))}/?$", dockerfile, re.M):
        fail(f"Dockerfile: nothing is copied to WEB_ASSETS_DIR ({assets.group(1)})")
    expose = re.search(r"^EXPOSE (.*)$", dockerfile, re.M)
    if not expose or "3000" not in expose.group(1).split():
        fail("Dockerfile: the web front end's port 3000 is not exposed")


def check_compose_parts(services):
    """Each part signs with its own key (its own variable), trusts the shared
    list, reads no shared key, and publishes no metrics port; the gateway
    publishes its serving port alone."""
    for part in PARTS:
        svc = services.get(part)
        if svc is None:
            fail(f"docker-compose.yml: no {part} service")
            continue
        env = svc.get("environment", {})
        signing = str(env.get("INTERNAL_SIGNING_KEY", ""))
        if not signing.startswith("${" + part.upper() + "_SIGNING_KEY"):
            fail(f"docker-compose.yml: {part} does not sign with its own key ({signing})")
        if "INTERNAL_TRUSTED_KEYS" not in env or any(k.startswith("INTERNAL_AUTH_KEY") for k in env):
            fail(f"docker-compose.yml: {part} should trust INTERNAL_TRUSTED_KEYS and read no shared key")
        metrics_port = str(env.get("METRICS_PORT", ""))
        if not metrics_port or metrics_port == str(env.get("PORT")):
            fail(f"docker-compose.yml: {part} has no METRICS_PORT of its own")
        for published in svc.get("ports", []):
            target = str(published).rsplit(":", 1)[-1]
            if target == metrics_port:
                fail(f"docker-compose.yml: {part} publishes its metrics port")
            if part == "gateway" and target != str(env.get("PORT")):
                fail(f"docker-compose.yml: the gateway publishes {published}, not just its serving port")


def run(cmd, **kw):
    shown = [a if not a.endswith(".yaml") or "/builtin/" not in a else None for a in cmd]
    files = shown.count(None)
    print("$ " + " ".join(a for a in shown if a) + (f" <{files} files>" if files else ""), flush=True)
    return subprocess.run(cmd, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools-bin", default=os.path.dirname(sys.executable))
    ap.add_argument("--out")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="roundabout-deploy-")
    tool = lambda n: os.path.join(args.tools_bin, n)  # noqa: E731

    rendered_dirs = []
    for k in KUSTOMIZATIONS:
        name = k.replace("/", "-")
        try:
            resources = kustomize_lite.render(os.path.join(DEPLOY, "kubernetes", k))
        except kustomize_lite.RenderError as e:
            fail(f"{k}: {e}")
            continue
        print(f"{k}: {len(resources)} resources")
        check_consistency(name, resources)
        d = os.path.join(out, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "builtin"))
        os.makedirs(os.path.join(d, "cnpg"))
        for i, r in enumerate(resources):
            group = "cnpg" if r["kind"] in CNPG_KINDS else "builtin"
            if group == "cnpg":
                check_cnpg(name, r)
            path = os.path.join(d, group, f"{i:03d}-{r['kind'].lower()}-{r['metadata']['name']}.yaml")
            with open(path, "w", encoding="utf-8") as f:
                yaml.safe_dump(r, f, sort_keys=False)
        rendered_dirs.append(d)

    for d in rendered_dirs:
        files = sorted(os.path.join(d, "builtin", f) for f in os.listdir(os.path.join(d, "builtin")))
        p = run([tool("kubernetes-validate"), "--strict", "--quiet", "-k", KUBERNETES_VERSION, *files],
                capture_output=True, text=True)
        if p.returncode != 0 or "ERROR" in p.stdout or "WARN" in p.stdout:
            fail(f"kubernetes-validate {os.path.basename(d)}:\n{p.stdout}{p.stderr}")

    config = os.path.join(DEPLOY, ".checkov.yaml")
    # The overlays are what gets applied (the base alone has no namespace).
    overlays = [d for d in rendered_dirs if "overlays" in os.path.basename(d)]
    for target in [["-d", os.path.join(d, "builtin")] for d in overlays] + [
        ["-f", os.path.join(ROOT, "Dockerfile"), "--framework", "dockerfile"]
    ]:
        cmd = [tool("checkov"), "--config-file", config, "--quiet", "--compact", "--output", "cli", *target]
        if target[0] == "-d":
            cmd += ["--framework", "kubernetes"]
        p = run(cmd, capture_output=True, text=True, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"})
        if p.returncode != 0:
            fail(f"checkov {' '.join(target)}:\n{p.stdout[-6000:]}{p.stderr[-2000:]}")

    check_compose_and_dockerfile()
    compose = shutil.which("docker-compose")
    if compose is None:
        fail("docker-compose is not installed (Debian: apt-get install docker-compose)")
    else:
        env = {**os.environ, "POSTGRES_PASSWORD": "check", "INTERNAL_TRUSTED_KEYS": "check",
               "TOKEN_SIGNING_KEY": "check", "WEB_SESSION_KEY": "check",
               **{f"{p.upper()}_SIGNING_KEY": "check" for p in PARTS}}
        p = run([compose, "-f", os.path.join(DEPLOY, "docker-compose.yml"), "config", "-q"],
                capture_output=True, text=True, env=env)
        if p.returncode != 0:
            fail(f"docker-compose config:\n{p.stdout}{p.stderr}")

    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    if failures:
        print(f"deploy checks: {len(failures)} failed")
        return 1
    print("deploy checks: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
