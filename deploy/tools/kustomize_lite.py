"""Renders a Kustomize directory without the kustomize binary.

Supports the subset deploy/kubernetes uses, and refuses anything else so a
new field cannot be silently ignored:

- ``resources``: YAML files (several documents each) and directories
  holding a kustomization (rendered recursively);
- ``namespace``: set on every namespaced resource;
- ``labels``: ``pairs`` added to metadata (``includeTemplates``: also to pod
  templates; ``includeSelectors`` must be false);
- ``images``: ``name`` → ``newName`` / ``newTag`` / ``digest`` in containers;
- ``patches``: with a ``target`` (``kind``, ``name`` as an anchored regular
  expression) and an inline ``patch`` or a ``path``: a YAML list is a JSON
  6902 patch (add, replace, remove); a mapping is a strategic merge patch
  (maps merged, lists of maps merged by ``name``, other lists replaced,
  ``$patch: delete`` removes the targeted resources).

Kustomize itself remains the tool to apply the overlays (``kubectl apply
-k``); this exists so CI can validate what they produce offline.
"""

import copy
import os
import re
import sys

import yaml

KNOWN_KEYS = {"apiVersion", "kind", "namespace", "labels", "resources", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
                  "PriorityClass", "IngressClass"}


class RenderError(Exception):
    pass


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def render(directory):
    kfile = os.path.join(directory, "kustomization.yaml")
    if not os.path.exists(kfile):
        raise RenderError(f"{directory}: no kustomization.yaml")
    [k] = load_docs(kfile)
    unknown = set(k) - KNOWN_KEYS
    if unknown:
        raise RenderError(f"{kfile}: fields this renderer does not support: {sorted(unknown)}")
    resources = []
    for entry in k.get("resources", []):
        path = os.path.normpath(os.path.join(directory, entry))
        if os.path.isdir(path):
            resources.extend(render(path))
        elif os.path.isfile(path):
            resources.extend(load_docs(path))
        else:
            raise RenderError(f"{kfile}: resource {entry} does not exist")
    for p in k.get("patches", []):
        resources = apply_patch(directory, kfile, p, resources)
    for image in k.get("images", []):
        set_image(resources, image)
    for label in k.get("labels", []):
        if label.get("includeSelectors"):
            raise RenderError(f"{kfile}: labels with includeSelectors are not supported")
        for r in resources:
            r.setdefault("metadata", {}).setdefault("labels", {}).update(label["pairs"])
            template = pod_template(r)
            if label.get("includeTemplates") and template is not None:
                template.setdefault("metadata", {}).setdefault("labels", {}).update(label["pairs"])
    if "namespace" in k:
        for r in resources:
            if r["kind"] == "Namespace":
                continue
            if r["kind"] not in CLUSTER_SCOPED:
                r.setdefault("metadata", {})["namespace"] = k["namespace"]
    return resources


def pod_template(r):
    spec = r.get("spec") or {}
    if r["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return spec.get("template")
    if r["kind"] == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template")
    return None


def set_image(resources, image):
    for r in resources:
        template = pod_template(r)
        if template is None:
            continue
        spec = template.get("spec", {})
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            ref = c.get("image", "")
            name = re.split(r"[:@]", ref, maxsplit=1)[0]
            if name != image["name"]:
                continue
            new = image.get("newName", name)
            if "digest" in image:
                new += "@" + image["digest"]
            elif "newTag" in image:
                new += ":" + str(image["newTag"])
            c["image"] = new


def matches(target, r):
    if "kind" in target and r.get("kind") != target["kind"]:
        return False
    if "name" in target and not re.fullmatch(target["name"], r.get("metadata", {}).get("name", "")):
        return False
    unknown = set(target) - {"kind", "name", "group", "version"}
    if unknown:
        raise RenderError(f"patch target fields not supported: {sorted(unknown)}")
    return True


def apply_patch(directory, kfile, entry, resources):
    if "path" in entry:
        with open(os.path.join(directory, entry["path"]), encoding="utf-8") as f:
            body = yaml.safe_load(f)
    elif "patch" in entry:
        body = yaml.safe_load(entry["patch"])
    else:
        raise RenderError(f"{kfile}: a patch needs patch or path")
    target = entry.get("target")
    if target is None:
        if not isinstance(body, dict):
            raise RenderError(f"{kfile}: a JSON 6902 patch needs a target")
        target = {"kind": body["kind"], "name": re.escape(body["metadata"]["name"])}
    hits = [r for r in resources if matches(target, r)]
    if not hits:
        raise RenderError(f"{kfile}: patch target {target} matches no resource")
    out = []
    for r in resources:
        if r not in hits:
            out.append(r)
            continue
        if isinstance(body, list):
            out.append(json6902(copy.deepcopy(r), body, kfile))
        elif isinstance(body, dict):
            if body.get("$patch") == "delete":
                continue
            out.append(merge(copy.deepcopy(r), body))
        else:
            raise RenderError(f"{kfile}: a patch must be a list or a mapping")
    return out


def pointer(path):
    if not path.startswith("/"):
        raise RenderError(f"bad JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json6902(doc, ops, kfile):
    for op in ops:
        parts = pointer(op["path"])
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        kind = op["op"]
        try:
            if isinstance(parent, list):
                if kind == "add":
                    idx = len(parent) if last == "-" else int(last)
                    parent.insert(idx, op["value"])
                elif kind == "replace":
                    parent[int(last)] = op["value"]
                elif kind == "remove":
                    del parent[int(last)]
                else:
                    raise RenderError(f"{kfile}: op {kind} not supported")
            else:
                if kind == "add":
                    parent[last] = op["value"]
                elif kind == "replace":
                    if last not in parent:
                        raise RenderError(f"{kfile}: replace of missing {op['path']} in {name_of(doc)}")
                    parent[last] = op["value"]
                elif kind == "remove":
                    del parent[last]
                else:
                    raise RenderError(f"{kfile}: op {kind} not supported")
        except (KeyError, IndexError, ValueError) as e:
            raise RenderError(f"{kfile}: {kind} {op['path']} in {name_of(doc)}: {e}") from e
    return doc


def merge(base, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        elif (isinstance(value, list) and isinstance(base.get(key), list)
              and all(isinstance(v, dict) and "name" in v for v in value + base[key])):
            by_name = {v["name"]: v for v in base[key]}
            for v in value:
                if v["name"] in by_name:
                    merge(by_name[v["name"]], v)
                else:
                    base[key].append(v)
        else:
            base[key] = value
    return base


def name_of(r):
    m = r.get("metadata", {})
    return f"{r.get('kind')}/{m.get('name')}"


if __name__ == "__main__":
    docs = render(sys.argv[1])
    yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
