"""The Helm chart (deploy/helm/hotel-hub): it lints, renders objects valid for Kubernetes, refuses an install
without its required values, runs every pod under the restricted Pod Security profile, and lets each
workload talk only to what it needs. Rendered with .tools/bin/helm (scripts/install-tools.sh)."""

import asyncio
import copy
import ipaddress
import json
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import nats
import nats.aio.client
import nats.errors
import nats.js.errors
import pytest
import yaml

from services.contacts.settings import ContactsSettings
from services.faqbot.faq import FaqFile
from services.faqbot.settings import FaqBotSettings
from services.inbox.settings import InboxSettings
from services.ingest.settings import IngestSettings
from services.notify.settings import NotifySettings
from services.solicit.settings import SolicitSettings
from services.synthetic.settings import SyntheticSettings
from shared.bus import STREAMS
from shared.messaging import declare_streams
from shared.settings import HttpSettings, HubSettings
from tests.support import servers
from tests.support.servers import SERVICES

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy/helm/hotel-hub"
HELM = ROOT / ".tools/bin/helm"
FULL_VALUES = CHART / "ci/full-values.yaml"
PORTS = {"ingest": 8001, "inbox": 8002, "contacts": 8003, "notify": 8004, "solicit": 8005}
# The oldest Kubernetes we support in practice and the newest kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
# Objects of operators' CRDs, whose schemas kubernetes-validate does not ship.
CUSTOM_KINDS = {
    ("cert-manager.io/v1", "Certificate"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}

# What an install must say, no less (the README's "Kubernetes" section lists the same).
REQUIRED_VALUES: dict[str, Any] = {
    "image": {"repository": "registry.example.com/hotel-hub"},
    "existingSecret": "hub-secrets",
    "forwardedAllowIps": "10.42.0.0/16",
    "consoleUrl": "https://hub.example-hotels.com",
    "bootstrapAdmin": {"email": "it@example-hotels.com"},
    "mail": {
        "replyDomain": "reply.example-hotels.com",
        "senderDomain": "hotels.example-hotels.com",
        "hotelDomain": "mail.example-hotels.com",
    },
    "smtp": {"host": "smtp-relay.example.net"},
}

Manifest = dict[str, Any]


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=60, check=False)


def template(values: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return helm("template", "hub", str(CHART), "--namespace", "hotel-hub", "--values", str(path))


def objects(rendered: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


@pytest.fixture(scope="module")
def default_objects(tmp_path_factory: pytest.TempPathFactory) -> list[Manifest]:
    result = template(REQUIRED_VALUES, tmp_path_factory.mktemp("default"))
    assert result.returncode == 0, result.stderr
    return objects(result.stdout)


@pytest.fixture(scope="module")
def full_objects() -> list[Manifest]:
    result = helm("template", "hub", str(CHART), "--namespace", "hotel-hub", "--values", str(FULL_VALUES))
    assert result.returncode == 0, result.stderr
    return objects(result.stdout)


@pytest.fixture(params=["default", "full"])
def rendered(request: pytest.FixtureRequest) -> list[Manifest]:
    fixture: list[Manifest] = request.getfixturevalue(f"{request.param}_objects")
    return fixture


def find(docs: list[Manifest], kind: str, name: str) -> Manifest:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_specs(docs: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for doc in docs:
        if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            yield f"Pod/{doc['metadata']['name']}", doc["spec"]


def pod_templates(docs: list[Manifest]) -> Iterator[Manifest]:
    for doc in docs:
        if doc["kind"] in {"Deployment", "StatefulSet"}:
            yield doc["spec"]["template"]


# --- the chart as Helm and Kubernetes read it ------------------------------------------------------------


def test_the_chart_lints_with_the_required_and_with_every_value(tmp_path: Path) -> None:
    required = tmp_path / "required.yaml"
    required.write_text(yaml.safe_dump(REQUIRED_VALUES))
    for values in (required, FULL_VALUES):
        result = helm("lint", "--strict", str(CHART), "--namespace", "hotel-hub", "--values", str(values))
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_for_kubernetes(rendered: list[Manifest], version: str) -> None:
    for doc in rendered:
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {exc.message} at {list(exc.path)}")


def test_every_namespaced_object_lives_in_the_release_namespace(full_objects: list[Manifest]) -> None:
    assert all(d["metadata"]["namespace"] == "hotel-hub" for d in full_objects)
    kinds = {(d["apiVersion"], d["kind"]) for d in full_objects}
    assert kinds >= CUSTOM_KINDS, "the full values turn every optional object on"


# --- required values -------------------------------------------------------------------------------------


def without(values: dict[str, Any], dotted: str) -> dict[str, Any]:
    changed = copy.deepcopy(values)
    *parents, leaf = dotted.split(".")
    node = changed
    for key in parents:
        node = node[key]
    del node[leaf]
    return changed


def with_value(values: dict[str, Any], dotted: str, value: object) -> dict[str, Any]:
    changed = copy.deepcopy(values)
    *parents, leaf = dotted.split(".")
    node = changed
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return changed


@pytest.mark.parametrize(
    "dotted",
    [
        "image.repository",
        "existingSecret",
        "forwardedAllowIps",
        "consoleUrl",
        "bootstrapAdmin.email",
        "mail.replyDomain",
        "mail.senderDomain",
        "mail.hotelDomain",  # or mail.mailboxes
        "smtp.host",
    ],
)
def test_the_chart_refuses_an_install_without_a_required_value(dotted: str, tmp_path: Path) -> None:
    result = template(without(REQUIRED_VALUES, dotted), tmp_path)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr, result.stderr
    leaf = dotted.rsplit(".", 1)[-1]
    assert leaf in result.stderr, result.stderr


def test_listed_mailboxes_may_stand_for_the_hotel_mail_domain(tmp_path: Path) -> None:
    values = with_value(without(REQUIRED_VALUES, "mail.hotelDomain"), "mail.mailboxes", {"desk@grand.example": "grand"})
    result = template(values, tmp_path)
    assert result.returncode == 0, result.stderr
    config = find(objects(result.stdout), "ConfigMap", "hub-config")["data"]
    assert json.loads(config["HUB_INGEST_MAILBOXES"]) == {"desk@grand.example": "grand"}
    assert "HUB_INGEST_HOTEL_MAIL_DOMAIN" not in config


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("consoleUrl", "http://hub.example-hotels.com"),  # the session cookie is Secure only with https
        ("consoleUrl", "https://127.0.0.1:8080"),
        ("smtp.host", "127.0.0.1"),
        ("smtp.host", "localhost"),
        ("forwardedAllowIps", "*"),
        ("bootstrapAdmin.email", "admin"),
        ("image.digest", "latest"),
        ("faqbot.enabled", True),  # without the Secret of its token
        ("reviews.enabled", True),  # without the Secret of the platforms' credentials
        ("tls.certManager.enabled", True),  # without an issuer
    ],
)
def test_the_chart_refuses_a_localhost_or_incomplete_value(dotted: str, value: object, tmp_path: Path) -> None:
    result = template(with_value(REQUIRED_VALUES, dotted, value), tmp_path)
    assert result.returncode != 0, f"{dotted}={value!r} was accepted"
    assert "values don't meet the specifications of the schema" in result.stderr, result.stderr


# --- the restricted Pod Security profile ------------------------------------------------------------------

# https://kubernetes.io/docs/concepts/security/pod-security-standards/ (baseline and restricted, v1.31)
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def restricted_violations(spec: Manifest) -> list[str]:
    """What keeps a pod spec from the restricted Pod Security profile (empty: it passes)."""
    problems: list[str] = []
    pod = spec.get("securityContext") or {}
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host):
            problems.append(f"{host} is set")
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {volume['name']} is of type {sorted(kinds)}")
    for sysctl in pod.get("sysctls") or []:
        if sysctl["name"] not in SAFE_SYSCTLS:
            problems.append(f"sysctl {sysctl['name']}")
    if (pod.get("seLinuxOptions") or {}).get("type") not in SELINUX_TYPES:
        problems.append("pod seLinuxOptions.type")
    if pod.get("runAsUser") == 0:
        problems.append("pod runs as user 0")
    containers = [*(spec.get("initContainers") or []), *spec["containers"], *(spec.get("ephemeralContainers") or [])]
    for container in containers:
        name = container["name"]
        context = container.get("securityContext") or {}
        if context.get("privileged"):
            problems.append(f"{name}: privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation is not false")
        if "ALL" not in ((context.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{name}: capabilities do not drop ALL")
        if set((context.get("capabilities") or {}).get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: adds capabilities")
        if context.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
            problems.append(f"{name}: runAsNonRoot is not true")
        if context.get("runAsUser") == 0:
            problems.append(f"{name}: runs as user 0")
        seccomp = (context.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type")
        if seccomp not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{name}: seccompProfile is {seccomp}")
        if context.get("procMount", "Default") != "Default":
            problems.append(f"{name}: procMount")
        if (context.get("seLinuxOptions") or {}).get("type") not in SELINUX_TYPES:
            problems.append(f"{name}: seLinuxOptions.type")
        if any("hostPort" in port for port in container.get("ports") or []):
            problems.append(f"{name}: hostPort")
        # Beyond the profile, the project's own rule: nothing writes to the image.
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: readOnlyRootFilesystem is not true")
    return problems


def test_every_pod_passes_the_restricted_profile(rendered: list[Manifest]) -> None:
    specs = dict(pod_specs(rendered))
    assert len(specs) >= 7, sorted(specs)
    failing = {name: problems for name, spec in specs.items() if (problems := restricted_violations(spec))}
    assert failing == {}


def test_the_restricted_checker_finds_what_the_profile_forbids() -> None:
    """The checker above must be able to fail: a pod as deploy/k8s had it (no drop ALL, no seccomp)."""
    pod = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "containers": [
            {
                "name": "ingest",
                "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
                "ports": [{"containerPort": 2525, "hostPort": 25}],
            }
        ],
        "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}],
        "hostNetwork": True,
    }
    assert restricted_violations(pod) == [
        "hostNetwork is set",
        "volume logs is of type ['hostPath']",
        "ingest: capabilities do not drop ALL",
        "ingest: seccompProfile is None",
        "ingest: hostPort",
    ]


def test_workloads_never_get_a_kubernetes_api_token(rendered: list[Manifest]) -> None:
    accounts = {d["metadata"]["name"]: d for d in rendered if d["kind"] == "ServiceAccount"}
    assert all(account["automountServiceAccountToken"] is False for account in accounts.values())
    for name, spec in pod_specs(rendered):
        assert spec["serviceAccountName"] in accounts, name
        assert spec["automountServiceAccountToken"] is False, name
    used = [spec["serviceAccountName"] for _, spec in pod_specs(rendered)]
    assert len(used) == len(set(used)), "one ServiceAccount per workload"


# --- network policies ------------------------------------------------------------------------------------


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        present = labels.get(expression["key"])
        match expression["operator"]:
            case "In":
                ok = present in expression["values"]
            case "NotIn":
                ok = present not in expression["values"]
            case "Exists":
                ok = present is not None
            case _:
                ok = present is None
        if not ok:
            return False
    return True


def policies(docs: list[Manifest]) -> list[Manifest]:
    return [d for d in docs if d["kind"] == "NetworkPolicy"]


def test_everything_is_denied_unless_a_policy_allows_it(rendered: list[Manifest]) -> None:
    deny = [p for p in policies(rendered) if p["spec"]["podSelector"] == {}]
    assert len(deny) == 1
    assert set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny[0]["spec"]
    assert "egress" not in deny[0]["spec"]


def test_every_workload_has_its_own_policy_and_dns(rendered: list[Manifest]) -> None:
    own = [p for p in policies(rendered) if p["spec"]["podSelector"] != {}]
    for pod in pod_templates(rendered):
        labels = pod["metadata"]["labels"]
        matching = [p for p in own if selects(p["spec"]["podSelector"], labels)]
        component = labels["app.kubernetes.io/component"]
        assert any(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in matching), component
        dns = [
            rule
            for p in matching
            for rule in p["spec"].get("egress", [])
            if {"port": 53, "protocol": "UDP"} in rule["ports"]
        ]
        assert dns, f"{component} cannot resolve names"


def allowed_peers(docs: list[Manifest], component: str, direction: str) -> list[Manifest]:
    labels = next(
        p["metadata"]["labels"]
        for p in pod_templates(docs)
        if p["metadata"]["labels"]["app.kubernetes.io/component"] == component
    )
    return [
        rule
        for p in policies(docs)
        if selects(p["spec"]["podSelector"], labels)
        for rule in p["spec"].get(direction, [])
    ]


def reaches(docs: list[Manifest], source: str, target: str, port: int) -> bool:
    """Both sides agree: the source's egress and the target's ingress allow the source's pods on `port`."""
    pods = {
        p["metadata"]["labels"]["app.kubernetes.io/component"]: p["metadata"]["labels"] for p in pod_templates(docs)
    }
    out = any(
        any(
            "podSelector" in peer and "namespaceSelector" not in peer and selects(peer["podSelector"], pods[target])
            for peer in rule["to"]
        )
        and any(p["port"] == port for p in rule["ports"])
        for rule in allowed_peers(docs, source, "egress")
    )
    into = any(
        any(
            "podSelector" in peer and "namespaceSelector" not in peer and selects(peer["podSelector"], pods[source])
            for peer in rule["from"]
        )
        and any(p["port"] == port for p in rule["ports"])
        for rule in allowed_peers(docs, target, "ingress")
    )
    return out and into


def test_services_reach_nats_and_mongodb_and_nothing_else_inside(full_objects: list[Manifest]) -> None:
    for service in SERVICES:
        assert reaches(full_objects, service, "nats", 4222), service
        assert reaches(full_objects, service, "mongo", 27017), service
        others = [s for s in SERVICES if s != service]
        assert not any(reaches(full_objects, service, other, PORTS[other]) for other in others), service
    assert reaches(full_objects, "nats", "nats", 6222)
    assert reaches(full_objects, "mongo", "mongo", 27017)
    assert reaches(full_objects, "faqbot", "inbox", 8002)
    assert reaches(full_objects, "inbox", "faqbot", 8006)
    assert not reaches(full_objects, "faqbot", "nats", 4222)


def test_only_notify_sends_mail_out_and_only_ingest_takes_it_in(full_objects: list[Manifest]) -> None:
    def ports_to_outside(component: str) -> set[int]:
        return {
            port["port"]
            for rule in allowed_peers(full_objects, component, "egress")
            if any("ipBlock" in peer for peer in rule["to"])
            for port in rule["ports"]
        }

    assert 587 in ports_to_outside("notify")
    assert all(587 not in ports_to_outside(c) for c in ("ingest", "inbox", "contacts", "solicit", "nats", "mongo"))
    smtp_in = [
        rule
        for rule in allowed_peers(full_objects, "ingest", "ingress")
        if {"protocol": "TCP", "port": 2525} in rule["ports"]
    ]
    assert smtp_in
    assert all("ipBlock" in peer for rule in smtp_in for peer in rule["from"])
    for component in ("inbox", "contacts", "notify", "solicit", "nats", "mongo"):
        assert not any(
            "ipBlock" in peer for rule in allowed_peers(full_objects, component, "ingress") for peer in rule["from"]
        )


# --- what deploy/k8s did right, carried over -------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_probes_resources_a_service_and_a_disruption_budget(
    default_objects: list[Manifest], service: str
) -> None:
    name = f"hub-{service}"
    deployment = find(default_objects, "Deployment", name)
    spec = deployment["spec"]["template"]["spec"]
    [container] = spec["containers"]
    assert container["command"] == ["python", "-m", f"services.{service}"]
    assert container["image"] == "registry.example.com/hotel-hub:0.1.0"
    assert {"name": "http", "containerPort": PORTS[service]} in container["ports"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(container["resources"]) == {"requests", "limits"}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(PORTS[service])
    assert find(default_objects, "Service", name)["spec"]["ports"][0]["port"] == PORTS[service]
    budget = find(default_objects, "PodDisruptionBudget", name)
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert spec["terminationGracePeriodSeconds"] > 20, "uvicorn drains for 20 s"


def test_the_image_digest_wins_over_the_tag(full_objects: list[Manifest]) -> None:
    images = {
        c["image"] for _, spec in pod_specs(full_objects) for c in spec["containers"] if "hotel-hub" in c["image"]
    }
    assert images == {"registry.example.com/hotel-hub@sha256:" + "0123456789abcdef" * 4}


def test_ingest_and_inbox_scale_automatically(default_objects: list[Manifest]) -> None:
    for service in ("ingest", "inbox"):
        autoscaler = find(default_objects, "HorizontalPodAutoscaler", f"hub-{service}")
        target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"hub-{service}"}
        assert autoscaler["spec"]["scaleTargetRef"] == target
        assert autoscaler["spec"]["minReplicas"] >= 2
        assert "replicas" not in find(default_objects, "Deployment", f"hub-{service}")["spec"], "the HPA owns it"


# Secrets holding JSON rather than a string.
SECRET_JSON = {
    "webhooks": json.dumps([{"platform": "tripadvisor", "reply_url": "https://x.example", "secret": "s" * 32}])
}


def container_env(docs: list[Manifest], service: str) -> dict[str, str]:
    """The variables a service's container sees, secrets replaced by placeholders and $(VAR) expanded."""
    config = find(docs, "ConfigMap", "hub-config")["data"]
    [container] = find(docs, "Deployment", f"hub-{service}")["spec"]["template"]["spec"]["containers"]
    env = dict(config)
    for variable in container["env"]:
        if "valueFrom" in variable:
            key = variable["valueFrom"]["secretKeyRef"]["key"]
            env[variable["name"]] = SECRET_JSON.get(key, f"{key}-" + "s" * 32)
        else:
            env[variable["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], variable["value"])
    return env


SETTINGS: dict[str, type[HttpSettings]] = {
    "ingest": IngestSettings,
    "inbox": InboxSettings,
    "contacts": ContactsSettings,
    "notify": NotifySettings,
    "solicit": SolicitSettings,
}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_accepts_its_rendered_settings_in_production(
    rendered: list[Manifest], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the services check at start (production refuses local defaults), for both values files."""
    for name, value in container_env(rendered, service).items():
        monkeypatch.setenv(name, value)
    HubSettings()
    settings = SETTINGS[service]()
    assert settings.host == "0.0.0.0"
    assert settings.port == PORTS[service]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_starts_with_its_rendered_settings(
    full_objects: list[Manifest], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = container_env(full_objects, service)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = HubSettings()
    assert settings.environment == "production"
    assert settings.mongo_flavour == "mongodb"
    assert settings.stream_replicas == 3
    urls = settings.nats_url.split(",")
    assert len(urls) == 3
    assert all(url.startswith("tls://hub:nats-password-") for url in urls), "TLS and a password"
    assert settings.mongo_url.startswith("mongodb://hub:mongo-password-")
    assert all(part in settings.mongo_url for part in ("replicaSet=rs0", "tls=true", "tlsCAFile="))
    assert set(settings.stream_max_bytes) == {stream.name for stream in STREAMS}
    assert env["SSL_CERT_FILE"] == "/var/run/hub/ca/bundle.crt"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability:4318"
    to_collector = [
        r for r in allowed_peers(full_objects, service, "egress") if {"protocol": "TCP", "port": 4318} in r["ports"]
    ]
    assert to_collector, "traces reach the collector"
    if service == "ingest":
        ingest = IngestSettings()
        assert (ingest.host, ingest.smtp_host, ingest.smtp_port) == ("0.0.0.0", "0.0.0.0", 2525)
        assert ingest.reply_domain == "reply.example-hotels.com"
        assert ingest.hotel_mail_domain == "mail.example-hotels.com"
        assert ingest.webhook_secret.get_secret_value().startswith("ingest-webhook-secret-")
    if service == "inbox":
        inbox = InboxSettings()
        assert inbox.console_url == "https://hub.example-hotels.com"
        assert inbox.bootstrap_admin_email == "it@example-hotels.com"
        assert inbox.bootstrap_admin_password is not None
        assert inbox.review_platforms.google_enabled
        assert inbox.alert_threshold == 0.6, "extraEnv reaches every service"
    if service == "notify":
        notify = NotifySettings()
        assert (notify.smtp_host, notify.smtp_port, notify.smtp_starttls) == ("smtp-relay.example.net", 587, True)
        assert notify.smtp_username is not None
        assert notify.smtp_password is not None
        assert notify.reply_domain == "reply.example-hotels.com"
        assert notify.console_url == "https://hub.example-hotels.com"
        assert notify.default_sender_domain == "hotels.example-hotels.com"


def test_the_faq_bot_starts_with_its_rendered_settings(
    full_objects: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    [container] = find(full_objects, "Deployment", "hub-faqbot")["spec"]["template"]["spec"]["containers"]
    assert "envFrom" not in container, "no CA bundle (SSL_CERT_FILE) nor hub settings in the bot's pod"
    for variable in container["env"]:
        value = variable.get("value") or f"{variable['valueFrom']['secretKeyRef']['key']}-" + "s" * 32
        monkeypatch.setenv(variable["name"], value)
    settings = FaqBotSettings()
    assert settings.api_url == "http://hub-inbox:8002"
    assert settings.faq_file == Path("/etc/hub/faqbot/faq.json")
    faq = FaqFile.model_validate_json(find(full_objects, "ConfigMap", "hub-faqbot")["data"]["faq.json"])
    assert list(faq.hotels) == ["grand-hotel"]


def test_services_trust_forwarded_for_only_from_a_gateway_network(full_objects: list[Manifest]) -> None:
    """Issue 18, finding 7: never '*', with which uvicorn believes the client-written entry."""
    trusted = find(full_objects, "ConfigMap", "hub-config")["data"]["FORWARDED_ALLOW_IPS"]
    networks = [ipaddress.ip_network(part.strip()) for part in trusted.split(",")]
    assert all(network.is_private for network in networks), trusted


def test_the_ingress_serves_console_api_and_ingest_over_tls_with_long_streams(full_objects: list[Manifest]) -> None:
    main = find(full_objects, "Ingress", "hub")
    assert main["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    assert main["spec"]["tls"] == [{"hosts": ["hub.example-hotels.com"], "secretName": "hub-example-tls"}]
    backends = {p["path"]: p["backend"]["service"]["name"] for p in main["spec"]["rules"][0]["http"]["paths"]}
    assert backends == {
        "/ingest": "hub-ingest",
        "/api/v1/contacts": "hub-contacts",
        "/api/v1/solicitations": "hub-solicit",
        "/": "hub-inbox",
    }
    streams = find(full_objects, "Ingress", "hub-streams")
    assert streams["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(streams["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    paths = {p["path"] for p in streams["spec"]["rules"][0]["http"]["paths"]}
    assert paths == {"/api/v1/events", "/ingest/chat"}
    hidden = {p["path"] for p in find(full_objects, "Ingress", "hub-internal")["spec"]["rules"][0]["http"]["paths"]}
    assert hidden == {"/metrics", "/docs", "/redoc", "/openapi.json"}


def test_mail_reaches_ingest_from_outside(full_objects: list[Manifest], default_objects: list[Manifest]) -> None:
    assert find(default_objects, "Service", "hub-smtp")["spec"]["type"] == "LoadBalancer"
    smtp = find(full_objects, "Service", "hub-smtp")["spec"]
    assert smtp["type"] == "NodePort"
    assert smtp["ports"] == [{"name": "smtp", "port": 25, "targetPort": "smtp", "nodePort": 30025}]
    assert smtp["selector"]["app.kubernetes.io/component"] == "ingest"


# --- NATS and MongoDB -------------------------------------------------------------------------------------


def test_nats_runs_three_nodes_apart_with_tls_auth_limits_and_lame_duck(default_objects: list[Manifest]) -> None:
    nats = find(default_objects, "StatefulSet", "hub-nats")
    assert nats["spec"]["replicas"] == 3
    spec = nats["spec"]["template"]["spec"]
    [term] = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    container = next(c for c in spec["containers"] if c["name"] == "nats")
    assert container["lifecycle"]["preStop"]["exec"]["command"] == [
        "nats-server",
        "--signal",
        "ldm=/var/run/nats/nats.pid",
    ]
    conf = find(default_objects, "ConfigMap", "hub-nats-config")["data"]["nats.conf"]
    for needed in (
        "pid_file: /var/run/nats/nats.pid",
        "lame_duck_duration: 30s",
        "authorization",
        "verify: true",
        "max_file_store: 8G",
        "sync_interval: always",
    ):
        assert needed in conf
    assert conf.count("cert_file:") == 2, "clients and routes"
    assert conf.count("nats://hub-nats-") == 3
    assert spec["terminationGracePeriodSeconds"] > 30 + 10, "lame duck, then its grace period"


NATS_SERVER = ROOT / ".tools/bin/nats-server"


def self_signed_certificate(directory: Path) -> None:
    """tls.crt, tls.key and ca.crt as cert-manager writes them (one self-signed certificate as its own CA)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(directory / "tls.key"), "-out", str(directory / "tls.crt"), "-days", "1",
         "-subj", "/CN=hub-nats", "-addext", "subjectAltName=DNS:localhost,DNS:*.hub-nats",
         "-addext", "extendedKeyUsage=serverAuth,clientAuth"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    (directory / "ca.crt").write_bytes((directory / "tls.crt").read_bytes())


def nats_conf_in(directory: Path, docs: list[Manifest], *, ports: tuple[int, int, int]) -> Path:
    """The rendered nats.conf with the pod's paths and ports moved into `directory` and onto loopback."""
    conf = find(docs, "ConfigMap", "hub-nats-config")["data"]["nats.conf"]
    for pod_path in ("/etc/nats/tls", "/data/jetstream", "/var/run/nats"):
        conf = conf.replace(pod_path, str(directory))
    for pod_port, port in zip((4222, 6222, 8222), ports, strict=True):
        conf = conf.replace(f"0.0.0.0:{pod_port}", f"127.0.0.1:{port}")
    path = directory / "nats.conf"
    path.write_text(conf)
    return path


def test_nats_accepts_its_rendered_configuration(default_objects: list[Manifest], tmp_path: Path) -> None:
    self_signed_certificate(tmp_path)
    conf = nats_conf_in(tmp_path, default_objects, ports=(4222, 6222, 8222))
    env = {"SERVER_NAME": "hub-nats-0", "NATS_PASSWORD": "a" * 32, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(NATS_SERVER), "-c", str(conf), "-t"], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_a_service_signs_in_to_the_rendered_nats_over_tls(
    default_objects: list[Manifest], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in a pod: the CA bundle in SSL_CERT_FILE, the password in HUB_NATS_URL; a wrong password is refused."""
    self_signed_certificate(tmp_path)
    client_port, cluster_port, monitor_port = free_ports(3)
    conf = nats_conf_in(tmp_path, default_objects, ports=(client_port, cluster_port, monitor_port))
    password = "b" * 32
    env = {"SERVER_NAME": "hub-nats-0", "NATS_PASSWORD": password, "PATH": "/usr/bin:/bin"}
    server = await asyncio.create_subprocess_exec(
        str(NATS_SERVER), "-c", str(conf), env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.crt"))
        url = f"tls://hub:{password}@localhost:{client_port}"
        client = await connect_when_up(url)
        assert client.is_connected
        await client.close()
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(url.replace(password, "c" * 32), allow_reconnect=False, connect_timeout=2)
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


async def connect_when_up(url: str) -> nats.aio.client.Client:
    for _ in range(50):
        try:
            return await nats.connect(url, allow_reconnect=False, connect_timeout=2)
        except (OSError, nats.errors.NoServersError):
            await asyncio.sleep(0.1)
    return await nats.connect(url, allow_reconnect=False, connect_timeout=2)


async def test_the_services_declare_each_stream_with_its_rendered_byte_limit(
    default_objects: list[Manifest], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HUB_STREAM_MAX_BYTES, as the chart renders it, reaches JetStream through the services' declaration."""
    monkeypatch.setenv(
        "HUB_STREAM_MAX_BYTES", find(default_objects, "ConfigMap", "hub-config")["data"]["HUB_STREAM_MAX_BYTES"]
    )
    limits = HubSettings().stream_max_bytes
    server = servers.nats_server(tmp_path / "nats").start()
    try:
        client = await nats.connect(f"nats://127.0.0.1:{server.port}")
        js = client.jetstream()
        await declare_streams(js, max_bytes=limits)
        declared = {stream.name: (await js.stream_info(stream.name)).config.max_bytes for stream in STREAMS}
        await client.close()
    finally:
        server.stop()
    assert declared == limits
    assert declared["EVENTS"] == 3072 * 1024 * 1024


async def test_a_full_work_stream_refuses_new_messages_and_keeps_the_ones_it_holds(tmp_path: Path) -> None:
    """At its byte limit INBOUND refuses a guest message (the sender is told to retry) instead of the server
    dropping the oldest one, not yet stored; the events' history gives up its oldest instead."""
    server = servers.nats_server(tmp_path / "nats").start()
    try:
        client = await nats.connect(f"nats://127.0.0.1:{server.port}")
        js = client.jetstream()
        await declare_streams(js, max_bytes={"INBOUND": 4096, "EVENTS": 4096})
        body = b"x" * 900
        refused = 0
        for n in range(12):
            try:
                await js.publish(f"hub.inbound.form.h{n}", body)
            except nats.js.errors.APIError:
                refused += 1
        inbound = await js.stream_info("INBOUND")
        first = await js.get_msg("INBOUND", 1)
        for n in range(12):
            await js.publish(f"hub.events.test.h{n}", body)
        events = await js.stream_info("EVENTS")
        await client.close()
    finally:
        server.stop()
    assert refused > 0, "the full stream refused the messages beyond its limit"
    assert inbound.state.first_seq == 1, "the first guest message is still there"
    assert first.subject == "hub.inbound.form.h0"
    assert events.state.first_seq > 1, "the events' history dropped its oldest"


def test_the_ca_bundle_script_is_python(default_objects: list[Manifest]) -> None:
    spec = find(default_objects, "Deployment", "hub-inbox")["spec"]["template"]["spec"]
    [init] = spec["initContainers"]
    assert init["command"][:2] == ["python", "-c"]
    compile(init["command"][2], "ca-bundle", "exec")


def test_stream_limits_fit_in_the_servers_store(default_objects: list[Manifest]) -> None:
    limits = json.loads(find(default_objects, "ConfigMap", "hub-config")["data"]["HUB_STREAM_MAX_BYTES"])
    assert set(limits) == {stream.name for stream in STREAMS}
    conf = find(default_objects, "ConfigMap", "hub-nats-config")["data"]["nats.conf"]
    store = int(re.search(r"max_file_store: (\d+)G", conf).group(1)) * 1024**3  # type: ignore[union-attr]
    assert sum(limits.values()) < store


def test_mongo_runs_a_replica_set_with_tls_keyfile_and_users(default_objects: list[Manifest]) -> None:
    mongo = find(default_objects, "StatefulSet", "hub-mongo")
    assert mongo["spec"]["replicas"] == 3
    spec = mongo["spec"]["template"]["spec"]
    assert spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    mongod = next(c for c in spec["containers"] if c["name"] == "mongo")
    for flag in ("--auth", "--tlsMode=requireTLS", "--keyFile=/var/run/mongo/keyfile", "--replSet=rs0"):
        assert flag in mongod["command"]
    scripts = find(default_objects, "ConfigMap", "hub-mongo-scripts")["data"]
    assert "rs.initiate" in scripts["bootstrap.sh"]
    assert 'createUser({user: "hub"' in scripts["bootstrap.sh"]
    for name, script in scripts.items():
        syntax = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True, timeout=10, check=False)
        assert syntax.returncode == 0, f"{name}: {syntax.stderr}"


# --- monitoring -----------------------------------------------------------------------------------------


def test_the_prometheus_rule_carries_the_hub_alerts(full_objects: list[Manifest]) -> None:
    source = yaml.safe_load((ROOT / "deploy/prometheus/rules/hub-alerts.yml").read_text())
    rule = find(full_objects, "PrometheusRule", "hub")
    assert rule["spec"]["groups"] == source["groups"]
    monitor = find(full_objects, "PodMonitor", "hub")
    assert monitor["spec"]["jobLabel"] == "app.kubernetes.io/component", "job=ingest… as the rules expect"
    monitored = {"app.kubernetes.io/instance": "hub"}
    for job in (*SERVICES, "synthetic"):  # hub_synthetic_check_success feeds HubSyntheticCheck*
        assert selects(monitor["spec"]["selector"], {**monitored, "app.kubernetes.io/component": job})
    pods = {p["metadata"]["labels"]["app.kubernetes.io/component"]: p for p in pod_templates(full_objects)}
    named = {job for jobs in re.findall(r'job=~?"([^"]+)"', json.dumps(source)) for job in jobs.split("|")}
    assert named <= set(pods), "every job the rules name runs"
    assert all(pods[job]["metadata"]["annotations"]["prometheus.io/scrape"] == "true" for job in named)


def test_nats_and_mongodb_are_scraped_through_their_exporters(full_objects: list[Manifest]) -> None:
    for server, port in (("nats", 7777), ("mongo", 9216)):
        template = find(full_objects, "StatefulSet", f"hub-{server}")["spec"]["template"]
        exporter = next(c for c in template["spec"]["containers"] if c["name"] == "exporter")
        assert exporter["ports"] == [{"name": "metrics", "containerPort": port}]
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(port)
        ingress = allowed_peers(full_objects, server, "ingress")
        assert any({"protocol": "TCP", "port": port} in rule["ports"] for rule in ingress), server
    monitor = find(full_objects, "PodMonitor", "hub-servers")
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    assert "metrics" in find(full_objects, "ConfigMap", "hub-mongo-scripts")["data"]["bootstrap.sh"]


def test_the_synthetic_check_runs_against_ingest_and_the_inbox(
    full_objects: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    [container] = find(full_objects, "Deployment", "hub-synthetic")["spec"]["template"]["spec"]["containers"]
    for variable in container["env"]:
        value = variable.get("value") or f"{variable['valueFrom']['secretKeyRef']['key']}-" + "s" * 32
        monkeypatch.setenv(variable["name"], value)
    HubSettings()
    settings = SyntheticSettings()
    assert (settings.ingest_url, settings.inbox_url) == ("http://hub-ingest:8001", "http://hub-inbox:8002")
    assert reaches(full_objects, "synthetic", "ingest", 8001)
    assert reaches(full_objects, "synthetic", "inbox", 8002)
    assert not reaches(full_objects, "synthetic", "nats", 4222)


def test_prometheus_on_kubernetes_keeps_annotated_hub_pods() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-k8s.yml").read_text())
    assert config["rule_files"] == ["rules/hub-alerts.yml"]
    [job] = config["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == ["hotel-hub"]
    keep = job["relabel_configs"][0]
    assert (keep["action"], keep["regex"]) == ("keep", "true")
    [to_job] = [r for r in job["relabel_configs"] if r.get("target_label") == "job"]
    assert to_job["source_labels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]


def test_hub_pods_are_named_by_their_component(default_objects: list[Manifest]) -> None:
    """The job label of prometheus-k8s.yml and the PodMonitor: the alert rules select job=~"ingest|inbox…"."""
    components = {p["metadata"]["labels"]["app.kubernetes.io/component"] for p in pod_templates(default_objects)}
    assert components >= set(SERVICES)
