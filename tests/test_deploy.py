"""The ways to serve a school (deploy/README.md), checked without a cluster, Docker or the network.

- deploy/k8s: every manifest parses; the Deployment's probes ask /liveness on the container's port;
  the Ingress keeps a student on one pod with a cookie and keeps websockets open; the Service has
  no ClientIP affinity (a school is one NAT address); the kustomization lists every manifest;
- deploy/systemd: the lesson unit runs the serve flags and environment of deploy/school.py
  (``School.serve_command`` and ``School.start_lesson``, called without starting anything); its
  instances are HAProxy's servers; the HAProxy configuration has the policy of
  deploy/haproxy.cfg.in and passes ``haproxy -c`` (when HAProxy is installed);
- deploy/Dockerfile: installs the project, compiles the catalogues, runs ``panel serve`` with the
  same flags and --liveness on the port the Deployment probes; the .dockerignore lets in what the
  Dockerfile copies.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SYSTEMD = DEPLOY / "systemd"
UNIT = SYSTEMD / "quantum-lessons@.service"
TARGET = SYSTEMD / "quantum-lessons.target"
HAPROXY_CFG = SYSTEMD / "haproxy.cfg"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

sys.path.insert(0, str(DEPLOY))
from school import School, apps  # noqa: E402  (deploy/ is not a package)


# ---- helpers: what the files say ---------------------------------------------------------------------

def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.iterdir() if p.suffix in (".yaml", ".yml") and p.name != "kustomization.yaml")


def documents() -> list[dict]:
    return [doc for path in manifest_files() for doc in yaml.safe_load_all(path.read_text()) if doc]


def one(kind: str) -> dict:
    found = [d for d in documents() if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def unit_sections(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit file as {section: [(key, value), ...]}, continuation lines joined."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def unit_values(key: str, section: str = "Service", path: Path = UNIT) -> list[str]:
    return [v for k, v in unit_sections(path).get(section, []) if k == key]


def unit_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The unit's Environment= assignments (later ones win, as in systemd), then ``overrides`` (what
    /etc/default/quantum-lessons would set)."""
    env: dict[str, str] = {}
    for value in unit_values("Environment"):
        for assignment in shlex.split(value):
            name, _, val = assignment.partition("=")
            env[name] = val
    env.update(overrides or {})
    return env


def unit_command(instance: str, overrides: dict[str, str] | None = None) -> list[str]:
    """ExecStart= as systemd would run it for ``quantum-lessons@<instance>``: %i replaced, ``${X}``
    replaced inside a word, a lone ``$X`` split at whitespace into zero or more arguments."""
    (line,) = unit_values("ExecStart")
    env = unit_environment(overrides)
    argv: list[str] = []
    for word in shlex.split(line.replace("%i", instance)):
        if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
            argv += env.get(word[1:], "").split()
        else:
            argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word))
    return argv


def serve_flags(command: list[str]) -> list[str]:
    """The options of a ``python -m panel serve <apps> <options>`` command: everything from the
    first ``--`` word on (the apps and the interpreter dropped)."""
    start = next(i for i, word in enumerate(command) if word.startswith("--"))
    return command[start:]


def served_apps(command: list[str]) -> list[str]:
    return [word for word in command if word.startswith("apps/") and word.endswith(".py")]


def option(flags: list[str], name: str) -> str:
    return flags[flags.index(name) + 1]


def school_launch(tmp_path, monkeypatch, **kwargs) -> tuple[School, list[str], dict[str, str]]:
    """What ``School.start_lesson`` would run for its first process (command, environment), with
    subprocess.Popen replaced: nothing starts."""
    import school as school_module

    launched = {}

    class NoProcess:
        def __init__(self, command, **popen_kwargs):
            launched.update(command=command, env=popen_kwargs["env"], cwd=popen_kwargs.get("cwd"))

        def poll(self):
            return 0

    monkeypatch.setattr(school_module.subprocess, "Popen", NoProcess)
    school = School(procs=1, workdir=tmp_path, **kwargs)
    school.start_lesson(school.lessons[0])
    assert launched["command"] == school.serve_command(school.lessons[0])
    return school, launched["command"], launched["env"]


def haproxy_sections(text: str) -> dict[str, list[str]]:
    """An HAProxy configuration as {"<keyword> <name>": [directive lines]}, comments dropped."""
    sections: dict[str, list[str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw[0].isspace():
            current = sections.setdefault(" ".join(line.split()[:2]), [])
        elif current is not None:
            current.append(" ".join(line.split()))
    return sections


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


def dockerfile_cmd() -> list[str]:
    import json

    (cmd,) = [rest for instruction, rest in dockerfile_instructions() if instruction == "CMD"]
    return json.loads(cmd)        # the exec form: no shell between Docker and the server


# ---- Kubernetes -----------------------------------------------------------------------------------------

def test_every_manifest_parses_as_kubernetes_objects():
    assert manifest_files(), "no manifests in deploy/k8s"
    for path in [*manifest_files(), K8S / "kustomization.yaml"]:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert docs, f"{path.name} is empty"
        for doc in docs:
            assert {"apiVersion", "kind"} <= doc.keys(), path.name
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path.name
    kinds = sorted(d["kind"] for d in documents())
    assert kinds == sorted(["Namespace", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"]), kinds


def test_the_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in manifest_files()]
    namespace = one("Namespace")["metadata"]["name"]
    assert kustomization["namespace"] == namespace
    for doc in documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace", namespace) == namespace, doc["kind"]
    # the image the Deployment names is the one the kustomization sets
    image = one("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert [i["name"] for i in kustomization["images"]] == [image]


def container() -> dict:
    (c,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    return c


def container_port(port) -> int:
    """A probe's or Service's port (a number or the container port's name) as a number."""
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container()["ports"] if p.get("name") == port)


def test_the_deployment_runs_the_image_with_probes_on_liveness():
    deployment = one("Deployment")
    assert deployment["spec"]["replicas"] == 4
    c = container()
    (port,) = [p["containerPort"] for p in c["ports"]]
    assert port == 5006
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        get = c[probe]["httpGet"]
        assert get["path"] == "/liveness", probe
        assert container_port(get["port"]) == port, probe
    startup = c["startupProbe"]
    # --warm: the server answers only once every app has run; 19 s measured on a cold Numba cache
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["BOKEH_ALLOW_WS_ORIGIN"] and "*" not in env["BOKEH_ALLOW_WS_ORIGIN"]
    resources = c["resources"]
    assert resources["requests"]["cpu"] == resources["limits"]["cpu"] == "1"
    assert resources["requests"]["memory"] == resources["limits"]["memory"] == "1Gi"
    # the root file system is read-only: Numba's cache needs the writable /tmp the image points it to
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert any(m["mountPath"] == "/tmp" for m in c["volumeMounts"])
    assert ("ENV", "NUMBA_CACHE_DIR=/tmp/numba-cache") in [
        (i, kv) for i, rest in dockerfile_instructions() for kv in shlex.split(rest) if i == "ENV"]


def test_the_service_has_no_client_ip_affinity():
    service = one("Service")
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert service["spec"].get("sessionAffinity", "None") != "ClientIP"
    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    assert container_port(port["targetPort"]) == 5006
    labels = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_the_ingress_keeps_a_student_on_one_pod_and_websockets_open():
    ingress = one("Ingress")
    a = {k.removeprefix("nginx.ingress.kubernetes.io/"): v for k, v in ingress["metadata"]["annotations"].items()}
    assert a["affinity"] == "cookie"
    assert a["affinity-mode"] == "persistent"
    assert a["session-cookie-name"]
    assert "upstream-hash-by" not in a                       # no hashing by address
    assert int(a["proxy-read-timeout"]) >= 3600
    assert int(a["proxy-send-timeout"]) >= 3600
    assert a["proxy-body-size"] and a["proxy-buffer-size"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    service = one("Service")
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"].get("name") == service["spec"]["ports"][0]["name"] or \
        backend["port"].get("number") == service["spec"]["ports"][0]["port"]
    # the websocket origin the pods accept is the Ingress's host
    env = {e["name"]: e.get("value") for e in container()["env"]}
    assert rule["host"] in env["BOKEH_ALLOW_WS_ORIGIN"].split(",")


def test_the_autoscaler_scales_the_deployment_on_cpu():
    hpa = one("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", one("Deployment")["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] >= 1 and hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"] == ["cpu"]


# ---- systemd and HAProxy --------------------------------------------------------------------------------

PUBLIC = {"QL_HOST": "school.example", "QL_PUBLIC_PORT": "8080"}


def test_the_unit_serves_with_the_flags_of_school_py(tmp_path, monkeypatch):
    school, command, _ = school_launch(tmp_path, monkeypatch, host="school.example", port=8080)
    lesson = school.lessons[0]
    unit = unit_command(str(lesson.port), PUBLIC)
    assert unit[1:4] == command[1:4] == ["-m", "panel", "serve"]
    assert unit[0].endswith("/bin/python")
    # the same options (the lesson's port, 127.0.0.1, the origins of the public address) ...
    assert serve_flags(unit) == serve_flags(command)
    # ... and the same apps
    assert sorted(served_apps(unit)) == sorted(apps()) == sorted(served_apps(command))


def test_the_unit_has_the_environment_of_school_py(tmp_path, monkeypatch):
    _, _, env = school_launch(tmp_path, monkeypatch)
    unit = unit_environment()
    for name in ("OPENBLAS_NUM_THREADS", "BOKEH_VALIDATE_DOC", "BOKEH_PERFORM_ERROR_DIAGNOSTICS", "PYTHONUNBUFFERED"):
        assert unit[name] == env[name], name
    (workdir,) = unit_values("WorkingDirectory")
    assert unit["PYTHONPATH"] == workdir                # school.py: PYTHONPATH=<the checkout>, cwd the same
    assert unit_command("5101")[0] == f"{workdir}/.venv/bin/python"


def test_the_unit_restarts_and_is_hardened_without_breaking_numba():
    service = dict(unit_sections(UNIT)["Service"])
    assert service["Restart"] == "always"
    assert service["User"] and service["User"] != "root"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    # the one path it writes, Numba's cache, is writable under ProtectSystem=strict
    cache = unit_environment()["NUMBA_CACHE_DIR"]
    writable = [f"/var/cache/{d}" for d in service.get("CacheDirectory", "").split()] + \
        service.get("ReadWritePaths", "").split()
    assert any(cache == w or cache.startswith(w + "/") for w in writable), (cache, writable)
    # Numba's LLVM writes machine code into memory and runs it
    assert service.get("MemoryDenyWriteExecute", "no") == "no"
    # it binds a port above 1024 and needs no capability
    assert service.get("CapabilityBoundingSet", None) == ""
    assert unit_sections(UNIT)["Unit"] and ("PartOf", "quantum-lessons.target") in unit_sections(UNIT)["Unit"]


def haproxy_servers(section: str) -> dict[str, str]:
    """{server name: address} of a backend of deploy/systemd/haproxy.cfg."""
    lines = haproxy_sections(HAPROXY_CFG.read_text())[section]
    return {line.split()[1]: line.split()[2] for line in lines if line.startswith("server ")}


def test_the_target_starts_the_processes_haproxy_sends_students_to():
    wants = " ".join(unit_values("Wants", "Unit", TARGET)).split()
    ports = sorted(int(re.fullmatch(r"quantum-lessons@(\d+)\.service", w).group(1)) for w in wants)
    assert ports == [5101, 5102, 5103, 5104]
    lessons = haproxy_servers("backend lessons")
    assert sorted(lessons.values()) == [f"127.0.0.1:{p}" for p in ports]
    assert sorted(haproxy_servers("backend assets").values()) == sorted(lessons.values())
    # every lesson server has its cookie value and a health check
    for line in haproxy_sections(HAPROXY_CFG.read_text())["backend lessons"]:
        if line.startswith("server "):
            name = line.split()[1]
            assert f"cookie {name}" in line and " check" in line, line


def test_the_systemd_haproxy_config_has_the_policy_of_the_template():
    """Every directive of deploy/haproxy.cfg.in's defaults, frontend and lessons backend (those
    without a placeholder) is in deploy/systemd/haproxy.cfg's."""
    template = haproxy_sections((DEPLOY / "haproxy.cfg.in").read_text().replace("{{", "{").replace("}}", "}"))
    systemd = haproxy_sections(HAPROXY_CFG.read_text())
    pairs = [("defaults", "defaults"), ("backend lessons", "backend lessons"), ("frontend school", "frontend school")]
    for section, other in pairs:
        wanted = [d for d in template[section] if not re.search(r"\{[a-z_]+\}", d)]
        assert wanted, section
        missing = [d for d in wanted if d not in systemd[other]]
        assert not missing, f"{other} lacks {missing}"
    assert "maxconn 8000" in systemd["global"]
    for line in ("cookie QLSERVER insert indirect nocache httponly", "balance leastconn",
                 "option httpchk GET /liveness", "option redispatch", "timeout tunnel 2h"):
        assert line in systemd["defaults"] + systemd["backend lessons"], line


def test_the_systemd_haproxy_config_passes_haproxy_check():
    binary = "/usr/sbin/haproxy"
    if not Path(binary).is_file():
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy)")
    check = subprocess.run([binary, "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


# ---- the container image --------------------------------------------------------------------------------

def test_the_dockerfile_installs_the_project_and_serves_with_liveness(tmp_path, monkeypatch):
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " && ".join(rest for i, rest in instructions if i == "RUN")
    assert re.search(r"""pip install ["']?\.\[jit\]""", runs)
    assert "python -m lessons.common.catalogs compile" in runs
    assert runs.index("pip install \".[jit]\"") < runs.index("lessons.common.catalogs compile")
    user = [rest for i, rest in instructions if i == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    healthcheck = " ".join(rest for i, rest in instructions if i == "HEALTHCHECK")
    assert "/liveness" in healthcheck and ":5006/" in healthcheck

    cmd = dockerfile_cmd()
    assert cmd[:4] == ["python", "-m", "panel", "serve"]
    flags = serve_flags(cmd)
    assert "--liveness" in flags and "--use-xheaders" in flags
    assert option(flags, "--port") == "5006" == str(container()["ports"][0]["containerPort"])
    assert ("EXPOSE", "5006") in instructions
    assert sorted(served_apps(cmd)) == sorted(apps())
    # school.py's options, except what differs in a container: all addresses, and the websocket
    # origin from the environment (BOKEH_ALLOW_WS_ORIGIN, Bokeh's own setting) instead of flags
    _, command, _ = school_launch(tmp_path, monkeypatch)
    school = [f for f in serve_flags(command) if not f.startswith("--allow-websocket-origin")]
    for name in ("--port", "--address"):
        i = school.index(name)
        del school[i:i + 2]
        i = flags.index(name)
        flags = flags[:i] + flags[i + 2:]
    assert flags == school
    env = dict(kv.split("=", 1) for i, rest in instructions if i == "ENV" for kv in shlex.split(rest))
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["BOKEH_ALLOW_WS_ORIGIN"]
    assert env["PYTHONPATH"] == "/app" and ("WORKDIR", "/app") in instructions


def test_the_dockerignore_lets_in_what_the_dockerfile_copies():
    rules = [r.strip() for r in DOCKERIGNORE.read_text().splitlines() if r.strip() and not r.startswith("#")]
    assert rules[0] == "*"                        # everything out, then what the image needs back in
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    copied = [word for i, rest in dockerfile_instructions() if i == "COPY" for word in shlex.split(rest)[:-1]]
    assert set(copied) <= allowed, set(copied) - allowed
    for name in copied:
        assert (REPO / name).exists(), name
    # what `pip install .` reads: pyproject.toml names README.md and the two packages
    assert {"pyproject.toml", "README.md", "physics", "lessons", "apps", "assets"} <= allowed


def test_deploy_readme_names_every_file():
    readme = (DEPLOY / "README.md").read_text()
    for path in [UNIT, TARGET, HAPROXY_CFG, SYSTEMD / "quantum-lessons.env", DOCKERFILE, *manifest_files()]:
        assert path.name in readme, path.name
