#!/usr/bin/env python3
"""Offline validation of the CloudFormation stacks in deploy/cloudformation/.

Two layers, both offline:
  1. cfn-lint (AWS's CloudFormation linter, with its bundled resource schemas): every resource type and
     property against the CloudFormation schema, Ref/GetAtt/Sub targets, intrinsic-function shapes, IAM
     policy syntax.
  2. LiveStream's own checks (below): references (again, plus cross-stack imports and the deploy order), an
     allow-list of resource types with the properties we require, the ports the image uses, the primetime
     scaling schedule of the seed design, alarms, dead-letter queues, secrets, least privilege.

  validate.py            lint and check the templates; exit 1 on any error
  validate.py --selftest also break each template in memory in known ways and require each break to be caught

Prints one line per check and closes with "deploy: N passed, N failed".
"""
from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import sys
import zoneinfo
from pathlib import Path

from cfnlint.decode import decode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TEMPLATES = HERE / "cloudformation"
# The order of `aws cloudformation deploy` (deploy/README.md): a stack may import only from earlier ones.
STACK_ORDER = ["foundation", "data", "messaging", "media", "cluster", "service"]

# Seed design B.1 assumption 3 / DESIGN.md section 5: 80% of the daily users arrive between 18:00 and 20:00.
PRIMETIME_START = 18 * 60
PRIMETIME_END = 20 * 60
MAX_LEAD_MINUTES = 120  # scale out at most two hours before primetime, scale in at most two hours after
DEFAULT_TIME_ZONE = "Asia/Singapore"

PSEUDO = {"AWS::AccountId", "AWS::NoValue", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region",
          "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}

# Resource types the stacks may use, with the properties each must set (cfn-lint checks the rest of the
# schema; this list keeps the inventory deliberate: a new type needs a line here).
ALLOWED_TYPES: dict[str, set[str]] = {
    "AWS::EC2::SecurityGroup": {"GroupDescription", "VpcId"},
    "AWS::EC2::SecurityGroupIngress": {"GroupId", "IpProtocol", "FromPort", "ToPort"},
    "AWS::EC2::SecurityGroupEgress": {"GroupId", "IpProtocol", "FromPort", "ToPort"},
    "AWS::SNS::Topic": set(),
    "AWS::SNS::Subscription": {"TopicArn", "Protocol", "Endpoint"},
    "AWS::SecretsManager::Secret": {"Name"},
    "AWS::SecretsManager::SecretTargetAttachment": {"SecretId", "TargetId", "TargetType"},
    "AWS::RDS::DBSubnetGroup": {"SubnetIds", "DBSubnetGroupDescription"},
    "AWS::RDS::DBParameterGroup": {"Family", "Description"},
    "AWS::RDS::DBInstance": {"DBInstanceClass", "VPCSecurityGroups", "DBParameterGroupName"},
    "AWS::CloudWatch::Alarm": {"AlarmName", "ComparisonOperator", "EvaluationPeriods", "Threshold", "AlarmActions"},
    "AWS::CloudWatch::Dashboard": {"DashboardName", "DashboardBody"},
    "AWS::SQS::Queue": {"QueueName", "MessageRetentionPeriod", "SqsManagedSseEnabled"},
    "AWS::SQS::QueuePolicy": {"Queues", "PolicyDocument"},
    "AWS::Events::Rule": {"EventPattern", "Targets", "State"},
    "AWS::IAM::Role": {"AssumeRolePolicyDocument"},
    "AWS::Lambda::Function": {"Runtime", "Handler", "Role", "Code"},
    "Custom::SnsPlatformApplication": {"ServiceToken", "Name", "Platform", "CredentialsSecretArn"},
    "AWS::S3::Bucket": {"BucketName", "PublicAccessBlockConfiguration", "BucketEncryption"},
    "AWS::S3::BucketPolicy": {"Bucket", "PolicyDocument"},
    "AWS::CloudFront::OriginAccessControl": {"OriginAccessControlConfig"},
    "AWS::CloudFront::Distribution": {"DistributionConfig"},
    "AWS::CloudFront::PublicKey": {"PublicKeyConfig"},
    "AWS::CloudFront::KeyGroup": {"KeyGroupConfig"},
    "AWS::CloudFront::ResponseHeadersPolicy": {"ResponseHeadersPolicyConfig"},
    "AWS::Logs::LogGroup": {"LogGroupName", "RetentionInDays"},
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {"Scheme", "Subnets", "SecurityGroups"},
    "AWS::ElasticLoadBalancingV2::TargetGroup": {"VpcId", "Port", "Protocol", "TargetType", "HealthCheckPath"},
    "AWS::ElasticLoadBalancingV2::Listener": {"LoadBalancerArn", "Protocol", "Port", "DefaultActions"},
    "AWS::ECS::Cluster": {"ClusterSettings"},
    "AWS::ECS::TaskDefinition": {"Family", "RequiresCompatibilities", "NetworkMode", "Cpu", "Memory",
                                 "ExecutionRoleArn", "ContainerDefinitions"},
    "AWS::ECS::Service": {"Cluster", "TaskDefinition", "LaunchType", "NetworkConfiguration", "DeploymentConfiguration"},
    "AWS::ApplicationAutoScaling::ScalableTarget": {"ServiceNamespace", "ScalableDimension", "ResourceId",
                                                    "MinCapacity", "MaxCapacity"},
    "AWS::ApplicationAutoScaling::ScalingPolicy": {"PolicyName", "PolicyType", "ScalingTargetId",
                                                   "TargetTrackingScalingPolicyConfiguration"},
}


# ---------------------------------------------------------------------------------------------- helpers
class Stack:
    def __init__(self, name: str, template: dict):
        self.name = name
        self.t = template

    @property
    def resources(self) -> dict:
        return self.t.get("Resources", {})

    @property
    def parameters(self) -> dict:
        return self.t.get("Parameters", {})

    def of_type(self, type_name: str) -> dict:
        return {k: v for k, v in self.resources.items() if v.get("Type") == type_name}

    def props(self, logical_id: str) -> dict:
        return self.resources.get(logical_id, {}).get("Properties", {}) or {}

    def default(self, value):
        """A literal, or the Default of the parameter a {"Ref": param} names."""
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in self.parameters:
            return self.parameters[value["Ref"]].get("Default")
        return value


def load_stacks() -> list[Stack]:
    stacks = []
    found = sorted(p.stem for p in TEMPLATES.glob("*.yaml"))
    if found != sorted(STACK_ORDER):
        raise SystemExit(f"deploy/cloudformation holds {found}; validate.py expects {STACK_ORDER} (update STACK_ORDER "
                         "and deploy/README.md together)")
    for name in STACK_ORDER:
        template, matches = decode(str(TEMPLATES / f"{name}.yaml"))
        if template is None or matches:
            raise SystemExit(f"{name}.yaml does not parse: {[str(m) for m in matches]}")
        stacks.append(Stack(name, template))
    return stacks


def walk(node, path=()):
    """Yields (path, dict) for every mapping in the tree."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


def sub_names(sub) -> tuple[str, set[str]]:
    """The template string of a Fn::Sub and the variables its own map defines."""
    if isinstance(sub, list):
        return sub[0], set(sub[1].keys()) if len(sub) > 1 else set()
    return sub, set()


def import_name(node) -> str | None:
    """'${EnvironmentName}-X' for Fn::ImportValue: !Sub ${EnvironmentName}-X (the only form we use)."""
    value = node.get("Fn::ImportValue") if isinstance(node, dict) else None
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return value["Fn::Sub"]
    return None


def refers_to(node, stack: Stack) -> set[str]:
    """Logical ids of resources a value refers to through Ref, GetAtt or Sub."""
    out = set()
    for _, d in walk(node):
        if "Ref" in d and d["Ref"] in stack.resources:
            out.add(d["Ref"])
        if "Fn::GetAtt" in d:
            target = d["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) else str(target).split(".")[0]
            out.add(name)
        if "Fn::Sub" in d:
            text, _ = sub_names(d["Fn::Sub"])
            for var in SUB_VAR.findall(text if isinstance(text, str) else ""):
                if var.split(".")[0] in stack.resources:
                    out.add(var.split(".")[0])
    return out


def cron_minutes(expression: str) -> int:
    m = re.fullmatch(r"cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)", expression or "")
    if not m:
        raise ValueError(f"schedule {expression!r} is not a daily cron(M H * * ? *)")
    return int(m.group(2)) * 60 + int(m.group(1))


def statements(policy_document) -> list[dict]:
    st = (policy_document or {}).get("Statement", [])
    return st if isinstance(st, list) else [st]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def image_ports() -> dict[str, int]:
    """The ports the image and the host's configuration use (Dockerfile EXPOSE / ENV, appsettings.json)."""
    dockerfile = (REPO / "Dockerfile").read_text()
    expose = re.search(r"^EXPOSE\s+(.+)$", dockerfile, re.M)
    ports = [int(p) for p in expose.group(1).split()] if expose else []
    settings = json.loads((REPO / "src/LiveStream.Host/appsettings.json").read_text())
    http = re.search(r"ASPNETCORE_HTTP_PORTS=(\d+)", dockerfile)
    result = {"http": int(http.group(1)) if http else -1,
              "silo": int(settings["Orleans"]["SiloPort"]), "gateway": int(settings["Orleans"]["GatewayPort"])}
    for k, v in result.items():
        if v not in ports:
            raise SystemExit(f"the Dockerfile does not EXPOSE the {k} port {v}")
    return result


# ----------------------------------------------------------------------------------------------- checks
def check_references(stacks: list[Stack]) -> list[str]:
    errors = []
    for s in stacks:
        names = set(s.parameters) | set(s.resources) | PSEUDO
        conditions = set(s.t.get("Conditions", {}))
        for path, d in walk(s.t):
            where = f"{s.name}:{'/'.join(map(str, path))}"
            if "Ref" in d and isinstance(d["Ref"], str) and d["Ref"] not in names:
                errors.append(f"{where}: Ref {d['Ref']} is no parameter, resource or pseudo parameter")
            if "Fn::GetAtt" in d:
                target = d["Fn::GetAtt"]
                name = target[0] if isinstance(target, list) else str(target).split(".")[0]
                if name not in s.resources:
                    errors.append(f"{where}: GetAtt {name} is no resource")
            if "Fn::Sub" in d:
                text, local = sub_names(d["Fn::Sub"])
                for var in SUB_VAR.findall(text if isinstance(text, str) else ""):
                    base = var if var.startswith("AWS::") else var.split(".")[0]
                    if base not in names and base not in local:
                        errors.append(f"{where}: Sub variable ${{{var}}} resolves to nothing")
            # (an ECS container dependency's Condition, e.g. START, is no template condition)
            if ("Condition" in d and isinstance(d["Condition"], str) and len(path) >= 2 and path[0] == "Resources"
                    and "ContainerName" not in d):
                if d["Condition"] not in conditions:
                    errors.append(f"{where}: Condition {d['Condition']} is not defined")
        for rid, r in s.resources.items():
            for dep in as_list(r.get("DependsOn", [])):
                if dep not in s.resources:
                    errors.append(f"{s.name}:Resources/{rid}: DependsOn {dep} is no resource")
    return errors


def check_imports(stacks: list[Stack]) -> list[str]:
    errors, exported = [], {}
    for i, s in enumerate(stacks):
        for path, d in walk(s.t):
            name = import_name(d)
            if name is None and "Fn::ImportValue" in d:
                errors.append(f"{s.name}:{'/'.join(map(str, path))}: ImportValue must be !Sub ${{EnvironmentName}}-<name>")
            elif name is not None and name not in exported:
                errors.append(f"{s.name}:{'/'.join(map(str, path))}: imports {name}, which no earlier stack "
                              f"({', '.join(STACK_ORDER[:i]) or 'none'}) exports")
        for out_id, out in s.t.get("Outputs", {}).items():
            export = (out.get("Export") or {}).get("Name")
            if export is None:
                continue
            name = export.get("Fn::Sub") if isinstance(export, dict) else None
            if not isinstance(name, str) or not name.startswith("${EnvironmentName}-"):
                errors.append(f"{s.name}:Outputs/{out_id}: export name must be !Sub ${{EnvironmentName}}-<name>")
            elif name in exported:
                errors.append(f"{s.name}:Outputs/{out_id}: export {name} is already exported by {exported[name]}")
            else:
                exported[name] = s.name
        if "EnvironmentName" not in s.parameters:
            errors.append(f"{s.name}: has no EnvironmentName parameter")
    return errors


def check_resource_types(stacks: list[Stack]) -> list[str]:
    errors = []
    for s in stacks:
        for rid, r in s.resources.items():
            kind = r.get("Type")
            if kind not in ALLOWED_TYPES:
                errors.append(f"{s.name}:{rid}: type {kind} is not on the allow-list in validate.py")
                continue
            missing = ALLOWED_TYPES[kind] - set((r.get("Properties") or {}).keys())
            if missing and not (kind == "AWS::RDS::DBInstance" and "SourceDBInstanceIdentifier" in r["Properties"]
                                and missing <= {"DBParameterGroupName"}):
                errors.append(f"{s.name}:{rid}: {kind} lacks {sorted(missing)}")
    return errors


def check_ports(stacks: list[Stack]) -> list[str]:
    errors = []
    ports = image_ports()
    foundation = next(s for s in stacks if s.name == "foundation")
    rules = []  # (group, port, source)
    for rid, r in foundation.of_type("AWS::EC2::SecurityGroupIngress").items():
        p = r["Properties"]
        rules.append((p["GroupId"].get("Ref"), (p["FromPort"], p["ToPort"]), (p.get("SourceSecurityGroupId") or {}).get("Ref")))
    for gid, g in foundation.of_type("AWS::EC2::SecurityGroup").items():
        for p in g["Properties"].get("SecurityGroupIngress", []):
            rules.append((gid, (p["FromPort"], p["ToPort"]), (p.get("SourceSecurityGroupId") or {}).get("Ref") or p.get("CidrIp") or p.get("CidrIpv6")))
    expected = {
        ("TasksSecurityGroup", (ports["http"], ports["http"]), "AlbSecurityGroup"),
        ("TasksSecurityGroup", (ports["silo"], ports["silo"]), "TasksSecurityGroup"),
        ("TasksSecurityGroup", (ports["gateway"], ports["gateway"]), "TasksSecurityGroup"),
        ("DatabaseSecurityGroup", (5432, 5432), "TasksSecurityGroup"),
        ("AlbSecurityGroup", (443, 443), "0.0.0.0/0"),
        ("AlbSecurityGroup", (443, 443), "::/0"),
        ("AlbSecurityGroup", (80, 80), "0.0.0.0/0"),  # redirected to HTTPS by the service stack
        ("AlbSecurityGroup", (80, 80), "::/0"),
    }
    got = set(rules)
    for rule in sorted(expected - got, key=str):
        errors.append(f"foundation: missing ingress {rule[0]} port {rule[1][0]} from {rule[2]}")
    for rule in sorted(got - expected, key=str):
        errors.append(f"foundation: unexpected ingress {rule[0]} ports {rule[1]} from {rule[2]}")

    service = next(s for s in stacks if s.name == "service")
    tg = service.props("ApiTargetGroup")
    if tg.get("Port") != ports["http"] or tg.get("HealthCheckPath") != "/health/ready":
        errors.append(f"service:ApiTargetGroup: must target port {ports['http']} with health check /health/ready")
    want = {"ApiTaskDefinition": {ports["http"]},
            "SiloTaskDefinition": {ports["http"], ports["silo"], ports["gateway"]}}
    for td, port_set in want.items():
        container = service.props(td)["ContainerDefinitions"][0]
        mapped = {m["ContainerPort"] for m in container.get("PortMappings", [])}
        if mapped != port_set:
            errors.append(f"service:{td}: container ports {sorted(mapped)} != {sorted(port_set)}")
        env = {e["Name"]: e["Value"] for e in container.get("Environment", [])}
        if env.get("Orleans__SiloPort") != str(ports["silo"]) or env.get("Orleans__GatewayPort") != str(ports["gateway"]):
            errors.append(f"service:{td}: Orleans__SiloPort/GatewayPort must be {ports['silo']}/{ports['gateway']}")
    return errors


def check_scaling(stacks: list[Stack]) -> list[str]:
    errors = []
    service = next(s for s in stacks if s.name == "service")
    tz = service.parameters.get("ScheduleTimeZone", {})
    if tz.get("Default") != DEFAULT_TIME_ZONE:
        errors.append(f"service: parameter ScheduleTimeZone must default to {DEFAULT_TIME_ZONE}")
    try:
        zoneinfo.ZoneInfo(str(tz.get("Default")))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(f"service: ScheduleTimeZone default {tz.get('Default')!r} is no IANA time zone")
    targets = service.of_type("AWS::ApplicationAutoScaling::ScalableTarget")
    policies = service.of_type("AWS::ApplicationAutoScaling::ScalingPolicy")
    services = service.of_type("AWS::ECS::Service")
    for svc_id in services:
        target_id = next((t for t, r in targets.items() if svc_id in refers_to(r["Properties"]["ResourceId"], service)), None)
        if target_id is None:
            errors.append(f"service:{svc_id}: no scalable target")
            continue
        p = targets[target_id]["Properties"]
        actions = p.get("ScheduledActions", [])
        outs, ins = [], []
        base_min = service.default(p["MinCapacity"])
        for a in actions:
            name = a.get("ScheduledActionName", "?")
            if a.get("Timezone") != {"Ref": "ScheduleTimeZone"}:
                errors.append(f"service:{target_id}/{name}: Timezone must be the ScheduleTimeZone parameter")
            try:
                minute = cron_minutes(a.get("Schedule"))
            except ValueError as e:
                errors.append(f"service:{target_id}/{name}: {e}")
                continue
            action_min = service.default(a["ScalableTargetAction"].get("MinCapacity"))
            (outs if action_min is not None and base_min is not None and action_min > base_min else ins).append((name, minute, action_min))
        if len(outs) != 1 or len(ins) != 1:
            errors.append(f"service:{target_id}: needs exactly one scale-out (min above {base_min}) and one scale-in "
                          f"(min back to it) scheduled action; has {len(outs)} and {len(ins)}")
            continue
        (out_name, out_at, _), (in_name, in_at, in_min) = outs[0], ins[0]
        if not PRIMETIME_START - MAX_LEAD_MINUTES <= out_at < PRIMETIME_START:
            errors.append(f"service:{target_id}/{out_name}: scale-out at {out_at // 60:02}:{out_at % 60:02} is not "
                          f"within the {MAX_LEAD_MINUTES} minutes before primetime (18:00)")
        if not PRIMETIME_END < in_at <= PRIMETIME_END + MAX_LEAD_MINUTES:
            errors.append(f"service:{target_id}/{in_name}: scale-in at {in_at // 60:02}:{in_at % 60:02} is not "
                          f"within the {MAX_LEAD_MINUTES} minutes after primetime ends (20:00)")
        if in_min != base_min:
            errors.append(f"service:{target_id}/{in_name}: must restore MinCapacity to the base {base_min}")
        mine = [r["Properties"] for r in policies.values() if r["Properties"].get("ScalingTargetId") == {"Ref": target_id}]
        kinds = set()
        for pol in mine:
            cfg = pol.get("TargetTrackingScalingPolicyConfiguration", {})
            predefined = (cfg.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
            if predefined == "ECSServiceAverageCPUUtilization":
                kinds.add("cpu")
            elif predefined == "ALBRequestCountPerTarget" or any(
                    (m.get("MetricStat") or {}).get("Metric", {}).get("MetricName") == "RequestCount"
                    for m in (cfg.get("CustomizedMetricSpecification") or {}).get("Metrics", [])):
                kinds.add("requests")
        if kinds != {"cpu", "requests"}:
            errors.append(f"service:{svc_id}: needs target tracking on CPU and on ALB requests; has {sorted(kinds)}")
    return errors


ALARM_DIMENSIONS = {  # namespace -> dimension -> (how the value must be produced, resource type)
    "AWS/ApplicationELB": {"LoadBalancer": ("GetAtt:LoadBalancerFullName", "AWS::ElasticLoadBalancingV2::LoadBalancer"),
                           "TargetGroup": ("GetAtt:TargetGroupFullName", "AWS::ElasticLoadBalancingV2::TargetGroup")},
    "AWS/ECS": {"ClusterName": ("Import", "${EnvironmentName}-ClusterName"), "ServiceName": ("GetAtt:Name", "AWS::ECS::Service")},
    "ECS/ContainerInsights": {"ClusterName": ("Import", "${EnvironmentName}-ClusterName"), "ServiceName": ("GetAtt:Name", "AWS::ECS::Service")},
    "AWS/SQS": {"QueueName": ("GetAtt:QueueName", "AWS::SQS::Queue")},
    "AWS/RDS": {"DBInstanceIdentifier": ("Ref", "AWS::RDS::DBInstance")},
    # The app's own metrics (EMF from the collector sidecars): attribute values the app emits.
    "LiveStream": {"livestream.queue.state": ("Literal", ("ready", "in_flight", "dead_letter")),
                   "livestream.session.state": ("Literal", ("starting", "ending")),
                   "http.response.status_code": ("Literal", ("503",))},
}


def check_dimension(stack: Stack, where: str, namespace: str, dim: dict) -> list[str]:
    rule = ALARM_DIMENSIONS.get(namespace, {}).get(dim.get("Name"))
    if rule is None:
        return [f"{where}: unexpected dimension {dim.get('Name')} for {namespace}"]
    how, kind = rule
    value = dim.get("Value")
    if how == "Literal":
        return [] if value in kind else [f"{where}: dimension {dim.get('Name')} must be one of {list(kind)}, not {value!r}"]
    if how == "Import":
        return [] if import_name(value) == kind else [f"{where}: dimension {dim.get('Name')} must import {kind}"]
    if how == "Ref":
        target = value.get("Ref") if isinstance(value, dict) else None
    else:
        getatt = value.get("Fn::GetAtt") if isinstance(value, dict) else None
        target = getatt[0] if isinstance(getatt, list) and getatt[1] == how.split(":")[1] else None
    if target is None or stack.resources.get(target, {}).get("Type") != kind:
        return [f"{where}: dimension {dim.get('Name')} must be {how} of an existing {kind}"]
    return []


def check_alarms(stacks: list[Stack]) -> list[str]:
    errors, seen = [], set()
    for s in stacks:
        for aid, a in s.of_type("AWS::CloudWatch::Alarm").items():
            p = a["Properties"]
            where = f"{s.name}:{aid}"
            for action in p.get("AlarmActions", []) + p.get("OKActions", []):
                if import_name(action) != "${EnvironmentName}-AlarmTopicArn":
                    errors.append(f"{where}: alarm actions must notify the foundation's alarm topic")
            metrics = [(p.get("Namespace"), p.get("MetricName"), p.get("Dimensions", []))] if "MetricName" in p else []
            for m in p.get("Metrics", []):
                stat = m.get("MetricStat")
                if stat:
                    metrics.append((stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Metric"].get("Dimensions", [])))
            if not metrics:
                errors.append(f"{where}: watches no metric")
            for namespace, name, dims in metrics:
                for dim in dims:
                    errors += check_dimension(s, where, namespace, dim)
                    if dim.get("Name") in ("QueueName", "DBInstanceIdentifier", "ServiceName", "TargetGroup"):
                        seen.add((namespace, name, json.dumps(dim.get("Value"), sort_keys=True)))
                seen.add((namespace, name, None))
    # The alarms the deployment must have.
    required = [("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"), ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
                ("AWS/ApplicationELB", "TargetResponseTime"), ("AWS/ApplicationELB", "UnHealthyHostCount"),
                ("AWS/ECS", "CPUUtilization"), ("AWS/RDS", "CPUUtilization"), ("AWS/RDS", "FreeStorageSpace")]
    for namespace, name in required:
        if (namespace, name, None) not in seen:
            errors.append(f"no alarm on {namespace} {name}")
    service = next(s for s in stacks if s.name == "service")
    p99 = [a["Properties"] for a in service.of_type("AWS::CloudWatch::Alarm").values()
           if a["Properties"].get("MetricName") == "TargetResponseTime"]
    if not any(p.get("ExtendedStatistic") == "p99" for p in p99):
        errors.append("service: the target response time alarm must use p99")
    for svc_id in service.of_type("AWS::ECS::Service"):
        key = ("AWS/ECS", "CPUUtilization", json.dumps({"Fn::GetAtt": [svc_id, "Name"]}, sort_keys=True))
        if key not in seen:
            errors.append(f"service:{svc_id}: no CPU alarm")
    for s in stacks:
        for dlq in dead_letter_queues(s):
            key = ("AWS/SQS", "ApproximateNumberOfMessagesVisible", json.dumps({"Fn::GetAtt": [dlq, "QueueName"]}, sort_keys=True))
            if key not in seen:
                errors.append(f"{s.name}:{dlq}: dead-letter queue has no depth alarm")
        for db in s.of_type("AWS::RDS::DBInstance"):
            if ("AWS/RDS", "CPUUtilization", json.dumps({"Ref": db})) not in seen:
                errors.append(f"{s.name}:{db}: no CPU alarm")
    return errors


def dead_letter_queues(s: Stack) -> set[str]:
    out = set()
    for q in s.of_type("AWS::SQS::Queue").values():
        target = ((q["Properties"].get("RedrivePolicy") or {}).get("deadLetterTargetArn") or {}).get("Fn::GetAtt")
        if isinstance(target, list):
            out.add(target[0])
    return out


def check_queues(stacks: list[Stack]) -> list[str]:
    errors = []
    for s in stacks:
        queues = s.of_type("AWS::SQS::Queue")
        dlqs = dead_letter_queues(s)
        for qid, q in queues.items():
            p = q["Properties"]
            redrive = p.get("RedrivePolicy")
            if qid in dlqs:
                if redrive:
                    errors.append(f"{s.name}:{qid}: a dead-letter queue must not redrive further")
                continue
            if not redrive:
                errors.append(f"{s.name}:{qid}: has no RedrivePolicy (dead-letter queue)")
                continue
            target = (redrive.get("deadLetterTargetArn") or {}).get("Fn::GetAtt")
            if not (isinstance(target, list) and target[1] == "Arn" and target[0] in queues):
                errors.append(f"{s.name}:{qid}: deadLetterTargetArn must be !GetAtt <queue in this stack>.Arn")
            elif s.default(p.get("MessageRetentionPeriod")) > s.default(queues[target[0]]["Properties"].get("MessageRetentionPeriod")):
                errors.append(f"{s.name}:{qid}: its DLQ keeps messages for less time than the queue itself")
            if "maxReceiveCount" not in redrive:
                errors.append(f"{s.name}:{qid}: RedrivePolicy has no maxReceiveCount")
    messaging = next(s for s in stacks if s.name == "messaging")
    partitions = [q for q in messaging.of_type("AWS::SQS::Queue") if q not in dead_letter_queues(messaging)]
    if len(partitions) != 8:
        errors.append(f"messaging: {len(partitions)} stream partitions, but Streaming__Queue__QueueCount is 8")
    return errors


def check_services(stacks: list[Stack]) -> list[str]:
    errors = []
    service = next(s for s in stacks if s.name == "service")
    roles = {"ApiTaskDefinition": "api", "SiloTaskDefinition": "silo"}
    for td, role in roles.items():
        c = service.props(td)["ContainerDefinitions"][0]
        env = {e["Name"]: e["Value"] for e in c.get("Environment", [])}
        secrets = {e["Name"] for e in c.get("Secrets", [])}
        if env.get("LiveStream__Role") != role:
            errors.append(f"service:{td}: LiveStream__Role must be {role}")
        if {"ConnectionStrings__Postgres", "ConnectionStrings__PostgresRead"} - secrets:
            errors.append(f"service:{td}: both connection strings must come from Secrets Manager (ECS secrets)")
        if c.get("HealthCheck", {}).get("Command") != ["CMD", "dotnet", "LiveStream.Host.dll", "healthcheck"]:
            errors.append(f"service:{td}: container health check must run the healthcheck command")
    for stack, td in [(x, t) for x in stacks for t in x.of_type("AWS::ECS::TaskDefinition")]:
        for c in stack.props(td)["ContainerDefinitions"]:
            for e in c.get("Environment", []):
                if re.search(r"ConnectionStrings|Password|Secret|SigningKey", e["Name"], re.I):
                    errors.append(f"{stack.name}:{td}: {e['Name']} is a secret and must not be a plain environment variable")
    cluster = next(s for s in stacks if s.name == "cluster")
    migrate = cluster.props("MigrateTaskDefinition")["ContainerDefinitions"][0]
    if migrate.get("Command") != ["migrate"]:
        errors.append("cluster:MigrateTaskDefinition: command must be [migrate]")
    if "ConnectionStrings__Postgres" not in {e["Name"] for e in migrate.get("Secrets", [])}:
        errors.append("cluster:MigrateTaskDefinition: needs ConnectionStrings__Postgres")
    if cluster.parameters.get("ImageUri") is None or migrate.get("Image") != {"Ref": "ImageUri"}:
        errors.append("cluster:MigrateTaskDefinition: must run the ImageUri parameter's image")
    api, silo = service.props("ApiService"), service.props("SiloService")
    lbs = api.get("LoadBalancers", [])
    if len(lbs) != 1 or lbs[0].get("TargetGroupArn") != {"Ref": "ApiTargetGroup"} or lbs[0].get("ContainerPort") != 8080:
        errors.append("service:ApiService: must be behind the ALB target group on 8080")
    if silo.get("LoadBalancers"):
        errors.append("service:SiloService: silos must not be behind the ALB")
    for sid, p in (("ApiService", api), ("SiloService", silo)):
        if p.get("TaskDefinition") != {"Ref": "SiloTaskDefinition" if sid == "SiloService" else "ApiTaskDefinition"}:
            errors.append(f"service:{sid}: runs the wrong task definition")
        groups = p["NetworkConfiguration"]["AwsvpcConfiguration"].get("SecurityGroups", [])
        if [import_name(g) for g in groups] != ["${EnvironmentName}-TasksSecurityGroupId"]:
            errors.append(f"service:{sid}: must run in the tasks security group only")
        if p["NetworkConfiguration"]["AwsvpcConfiguration"].get("AssignPublicIp") != "DISABLED":
            errors.append(f"service:{sid}: tasks must not get public IPs")
    listener = service.props("HttpsListener")
    if listener.get("Protocol") != "HTTPS" or listener.get("Certificates", [{}])[0].get("CertificateArn") != {"Ref": "CertificateArn"}:
        errors.append("service:HttpsListener: must be HTTPS with the CertificateArn parameter")
    for lid, l in service.of_type("AWS::ElasticLoadBalancingV2::Listener").items():
        p = l["Properties"]
        if p.get("Protocol") != "HTTPS" and any(a.get("Type") != "redirect" or a.get("RedirectConfig", {}).get("Protocol") != "HTTPS"
                                                 for a in p.get("DefaultActions", [])):
            errors.append(f"service:{lid}: a plain HTTP listener may only redirect to HTTPS")
    data = next(s for s in stacks if s.name == "data")
    primary = data.props("Database")
    if primary.get("Engine") != "postgres" or not re.fullmatch(r"15(\.\d+)?", str(data.default(primary.get("EngineVersion")))):
        errors.append("data:Database: must be PostgreSQL 15")
    if primary.get("MultiAZ") is not True:
        errors.append("data:Database: must be Multi-AZ")
    if not any(p.get("SourceDBInstanceIdentifier") == {"Ref": "Database"} for p in
               (r["Properties"] for r in data.of_type("AWS::RDS::DBInstance").values())):
        errors.append("data: no read replica of Database")
    if "resolve:secretsmanager" not in json.dumps(primary.get("MasterUserPassword")):
        errors.append("data:Database: the master password must be a Secrets Manager dynamic reference")
    return errors


# IAM actions that support no resource type: "*" is the only resource a statement of these alone may name.
ACTIONS_WITHOUT_RESOURCE_TYPES = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                  "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}


def check_security(stacks: list[Stack]) -> list[str]:
    errors = []
    for s in stacks:
        for rid, r in s.of_type("AWS::IAM::Role").items():
            docs = [p["PolicyDocument"] for p in r["Properties"].get("Policies", [])]
            for st in (x for d in docs for x in statements(d)):
                actions = as_list(st.get("Action", []))
                resources = as_list(st.get("Resource", []))
                if any(a == "*" or str(a).endswith(":*") for a in actions):
                    errors.append(f"{s.name}:{rid}: wildcard action {actions}")
                # X-Ray actions have no resource type, and List actions find a session's resources again by name.
                if "*" in resources and not all(a in ACTIONS_WITHOUT_RESOURCE_TYPES or str(a).split(":")[-1].startswith("List") for a in actions):
                    errors.append(f"{s.name}:{rid}: statement {st.get('Sid', actions)} allows every resource")
                if "iam:PassRole" in actions and "iam:PassedToService" not in json.dumps(st.get("Condition", {})):
                    errors.append(f"{s.name}:{rid}: iam:PassRole without an iam:PassedToService condition")
        for bid, b in s.of_type("AWS::S3::Bucket").items():
            block = b["Properties"].get("PublicAccessBlockConfiguration", {})
            if not all(block.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")):
                errors.append(f"{s.name}:{bid}: public access must be blocked")
    trusts = {("media", "MediaLiveRole"): "medialive.amazonaws.com", ("media", "MediaPackageHarvestRole"): "mediapackage.amazonaws.com"}
    for (stack_name, rid), principal in trusts.items():
        s = next(x for x in stacks if x.name == stack_name)
        trusted = [st.get("Principal", {}).get("Service") for st in statements(s.props(rid).get("AssumeRolePolicyDocument"))]
        if trusted != [principal]:
            errors.append(f"{stack_name}:{rid}: must trust {principal} only (trusts {trusted})")
    service = next(s for s in stacks if s.name == "service")
    passed = json.dumps(service.props("SiloTaskRole"))
    if "MediaLiveRoleArn" not in passed or "medialive.amazonaws.com" not in passed:
        errors.append("service:SiloTaskRole: must be allowed to pass the MediaLive role to MediaLive")
    media = next(s for s in stacks if s.name == "media")
    bucket = media.props("RecordingsBucket")
    configs = bucket.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
    if not any(c.get("Event") == "s3:ObjectCreated:*" and c.get("Queue") == {"Fn::GetAtt": ["RecordingEventsQueue", "Arn"]} for c in configs):
        errors.append("media:RecordingsBucket: needs an s3:ObjectCreated:* notification to RecordingEventsQueue")
    if "RecordingEventsQueuePolicy" not in as_list(media.resources["RecordingsBucket"].get("DependsOn", [])):
        errors.append("media:RecordingsBucket: must depend on RecordingEventsQueuePolicy (S3 tests the destination)")
    qp = media.props("RecordingEventsQueuePolicy")
    if not any(st.get("Principal", {}).get("Service") == "s3.amazonaws.com" and "aws:SourceArn" in json.dumps(st.get("Condition"))
               for st in statements(qp.get("PolicyDocument"))):
        errors.append("media:RecordingEventsQueuePolicy: must let only the recordings bucket (aws:SourceArn) send")
    # Without MediaLive's alerts on the queue an AWS session never sees its encoder: it would fail after the no-input timeout.
    rule = media.resources.get("MediaLiveAlertsRule", {}).get("Properties", {})
    pattern = rule.get("EventPattern", {})
    if (pattern.get("source") != ["aws.medialive"] or "MediaLive Channel Alert" not in pattern.get("detail-type", [])
            or {"Fn::GetAtt": ["RecordingEventsQueue", "Arn"]} not in [t.get("Arn") for t in rule.get("Targets", [])]):
        errors.append("media:MediaLiveAlertsRule: must send aws.medialive 'MediaLive Channel Alert' events to RecordingEventsQueue")
    if not any(st.get("Principal", {}).get("Service") == "events.amazonaws.com"
               and st.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn") == {"Fn::GetAtt": ["MediaLiveAlertsRule", "Arn"]}
               for st in statements(qp.get("PolicyDocument"))):
        errors.append("media:RecordingEventsQueuePolicy: must let the MediaLive alerts rule (aws:SourceArn) send")
    origin = media.props("RecordingsDistribution")["DistributionConfig"]["Origins"][0]
    if origin.get("OriginAccessControlId") != {"Fn::GetAtt": ["RecordingsOriginAccessControl", "Id"]}:
        errors.append("media:RecordingsDistribution: the S3 origin must use the origin access control")
    live = media.props("LiveDistribution")["DistributionConfig"]["Origins"][0]
    if live.get("DomainName") != {"Ref": "MediaPackageOriginDomain"}:
        errors.append("media:LiveDistribution: origin must be the MediaPackageOriginDomain parameter")
    errors += check_private_playback(stacks)
    return errors


def check_private_playback(stacks: list[Stack]) -> list[str]:
    """Both distributions serve only signed URLs; the private key reaches the tasks as a secret, never as plain text."""
    errors = []
    media = next(s for s in stacks if s.name == "media")
    group = media.resources.get("PlaybackKeyGroup", {}).get("Properties", {}).get("KeyGroupConfig", {})
    if {"Ref": "PlaybackPublicKey"} not in group.get("Items", []):
        errors.append("media:PlaybackKeyGroup: must hold the PlaybackPublicKey")
    key = media.resources.get("PlaybackPublicKey", {}).get("Properties", {}).get("PublicKeyConfig", {})
    if key.get("EncodedKey") != {"Ref": "PlaybackPublicKeyPem"}:
        errors.append("media:PlaybackPublicKey: EncodedKey must be the PlaybackPublicKeyPem parameter")
    for rid in ("LiveDistribution", "RecordingsDistribution"):
        behaviors = [media.props(rid)["DistributionConfig"]["DefaultCacheBehavior"]] + media.props(rid)["DistributionConfig"].get("CacheBehaviors", [])
        for behavior in behaviors:
            if behavior.get("TrustedKeyGroups") != [{"Ref": "PlaybackKeyGroup"}]:
                errors.append(f"media:{rid}: every cache behavior must trust only PlaybackKeyGroup (private playback)")
    if "PlaybackPrivateKey" in json.dumps(media.t.get("Outputs", {})).replace("PlaybackPrivateKeySecretArn", ""):
        errors.append("media: the playback private key must not be an output")
    service = next(s for s in stacks if s.name == "service")
    for rid in ("ApiTaskDefinition", "SiloTaskDefinition"):
        container = service.props(rid)["ContainerDefinitions"][0]
        plain = {e["Name"] for e in container.get("Environment", [])}
        secret = {e["Name"]: e.get("ValueFrom") for e in container.get("Secrets", [])}
        if "Media__Playback__CloudFrontPrivateKey" in plain:
            errors.append(f"service:{rid}: the playback private key must be a secret, not an environment variable")
        if secret.get("Media__Playback__CloudFrontPrivateKey") != {"Fn::ImportValue": {"Fn::Sub": "${EnvironmentName}-PlaybackPrivateKeySecretArn"}}:
            errors.append(f"service:{rid}: needs Media__Playback__CloudFrontPrivateKey from the playback key secret")
        if "Media__Playback__CloudFrontKeyId" not in plain:
            errors.append(f"service:{rid}: needs Media__Playback__CloudFrontKeyId (the CloudFront public key id)")
    return errors


ACTIONS_TABLE = HERE.parent / "src" / "LiveStream.Infrastructure" / "Aws" / "aws-actions.json"


def check_role_actions(stacks: list[Stack]) -> list[str]:
    """Each task role allows every AWS action its role's code calls (the table beside the AWS clients)."""
    errors = []
    table = json.loads(ACTIONS_TABLE.read_text())
    service = next(s for s in stacks if s.name == "service")
    for role_id, entry in ((k, v) for k, v in table.items() if not k.startswith("_")):
        role = service.resources.get(role_id)
        if role is None:
            errors.append(f"service:{role_id}: no such role for the '{entry['role']}' task")
            continue
        allowed = [str(a) for p in role["Properties"].get("Policies", []) for st in statements(p["PolicyDocument"])
                   if st.get("Effect") == "Allow" for a in as_list(st.get("Action", []))]
        for action in entry["actions"]:
            if not any(fnmatch.fnmatchcase(action, pattern) for pattern in allowed):
                errors.append(f"service:{role_id}: the {entry['role']} code calls {action}, which the role does not allow")
    return errors


def check_inline_code(stacks: list[Stack]) -> list[str]:
    """Inline Lambda code (custom resources) must at least compile, and answer CloudFormation on every path."""
    errors = []
    for s in stacks:
        for fid, f in s.of_type("AWS::Lambda::Function").items():
            p = f["Properties"]
            code = (p.get("Code") or {}).get("ZipFile")
            if not isinstance(code, str):
                continue
            if not str(p.get("Runtime", "")).startswith("python"):
                errors.append(f"{s.name}:{fid}: inline code is only checked for Python runtimes")
                continue
            try:
                compile(code, f"{s.name}:{fid}", "exec")
            except SyntaxError as e:
                errors.append(f"{s.name}:{fid}: inline code does not compile: {e}")
            if p.get("Handler") != "index.handler" or "def handler(" not in code:
                errors.append(f"{s.name}:{fid}: Handler must be index.handler with a handler function")
            if "cfnresponse.FAILED" not in code or "cfnresponse.SUCCESS" not in code:
                errors.append(f"{s.name}:{fid}: a custom resource must answer SUCCESS and FAILED")
    return errors


# A Multi-AZ RDS failover takes 60-120 s; a task must stay in service through the whole of it (issue 13).
DATABASE_FAILOVER_SECONDS = 60
# The slowest /health/ready can be while PostgreSQL hangs: its probe gives up after 2 s, the cluster check after
# 3 s, and they run side by side (src/LiveStream.Host/Api/HealthApi.cs).
READINESS_WORST_SECONDS = 3


def check_database_failover(stacks: list[Stack]) -> list[str]:
    """No api task is taken out of the target group or replaced by ECS while the database fails over.

    The ALB replaces nothing by itself, but an ECS service behind it replaces tasks the target group marks
    unhealthy, and the container health check replaces tasks whose command fails. So: the container check must
    probe liveness (never the database), so its interval does not matter here; readiness must not fail on the
    database (it reports it Degraded = 200) and must answer within the ALB's timeout even when the database hangs;
    and, as a second line, the ALB must not mark a task unhealthy sooner than a database failover lasts even if
    readiness did fail on every probe.
    """
    errors = []
    service = next(s for s in stacks if s.name == "service")
    tg = service.props("ApiTargetGroup")
    if tg.get("HealthCheckPath") != "/health/ready":
        errors.append("service:ApiTargetGroup: the ALB must check /health/ready")
    timeout = int(tg.get("HealthCheckTimeoutSeconds", 5))
    if timeout <= READINESS_WORST_SECONDS:
        errors.append(f"service:ApiTargetGroup: HealthCheckTimeoutSeconds {timeout} must exceed readiness's worst case "
                      f"({READINESS_WORST_SECONDS} s while PostgreSQL hangs), or a hung database fails every check")
    to_unhealthy = int(tg.get("HealthCheckIntervalSeconds", 30)) * int(tg.get("UnhealthyThresholdCount", 2))
    if to_unhealthy < DATABASE_FAILOVER_SECONDS:
        errors.append(f"service:ApiTargetGroup: Interval x UnhealthyThresholdCount = {to_unhealthy} s; it must be at least "
                      f"the {DATABASE_FAILOVER_SECONDS} s of a database failover")
    source = REPO / "src" / "LiveStream.Host"
    commands = (source / "Hosting" / "Commands.cs").read_text()
    health = (source / "Api" / "HealthApi.cs").read_text()
    if "/health/live" not in commands:
        errors.append("Commands.cs: the container health check must probe /health/live (liveness, no database)")
    if not re.search(r'MapHealthChecks\("/live", new HealthCheckOptions \{ Predicate = _ => false', health):
        errors.append("HealthApi.cs: /health/live must run no checks (so never the database)")
    postgres = health[health.find("class PostgresHealthCheck"):]
    postgres = postgres[:postgres.find("\n}\n")]
    if "HealthCheckResult.Degraded(" not in postgres or "HealthCheckResult.Unhealthy(" in postgres:
        errors.append("HealthApi.cs: PostgresHealthCheck must report an unreachable database as Degraded (still 200), never Unhealthy")
    return errors


# ------------------------------------------------------------------------------------ telemetry (issue 16)
COLLECTOR = "otel-collector"
# The business alarms the deployment must have: (metric, dimension name, dimension value or None).
REQUIRED_BUSINESS_ALARMS = [("livestream.notifications.lag", None, None),
                            ("livestream.queue.depth", "livestream.queue.state", "ready"),
                            ("livestream.queue.depth", "livestream.queue.state", "dead_letter"),
                            ("http.server.request.duration", "http.response.status_code", "503"),
                            ("livestream.sessions.transition.age", "livestream.session.state", "starting"),
                            ("livestream.sessions.transition.age", "livestream.session.state", "ending")]


def substituted(value) -> str | None:
    """The text of a Fn::Sub with every ${X} replaced by a placeholder (so it can be parsed offline)."""
    sub = value.get("Fn::Sub") if isinstance(value, dict) else None
    if sub is None:
        return None
    text, _ = sub_names(sub)
    return SUB_VAR.sub(lambda m: f"SUB_{m.group(1).replace('.', '_').replace(':', '_')}", text) if isinstance(text, str) else None


def app_instruments() -> set[str]:
    """The instrument names the app declares (LiveStreamMetrics constants) plus ASP.NET Core's request duration."""
    source = (REPO / "src/LiveStream.Infrastructure/Telemetry/LiveStreamMetrics.cs").read_text()
    return set(re.findall(r'public const string \w+ = "(livestream\.[a-z._]+)";', source)) | {"http.server.request.duration"}


def collector_config(stack: Stack, td: str) -> tuple[dict | None, dict | None, list[str]]:
    """(the collector container, its parsed AOT_CONFIG_CONTENT, errors) of a task definition."""
    import yaml
    containers = {c.get("Name"): c for c in stack.props(td).get("ContainerDefinitions", [])}
    collector = containers.get(COLLECTOR)
    if collector is None:
        return None, None, [f"service:{td}: no {COLLECTOR} sidecar container"]
    env = {e["Name"]: e["Value"] for e in collector.get("Environment", [])}
    text = substituted(env.get("AOT_CONFIG_CONTENT"))
    if text is None:
        return collector, None, [f"service:{td}: {COLLECTOR} needs its config in AOT_CONFIG_CONTENT (a !Sub of the YAML)"]
    try:
        return collector, yaml.safe_load(text), []
    except yaml.YAMLError as e:
        return collector, None, [f"service:{td}: {COLLECTOR} config is not YAML: {e}"]


def check_telemetry(stacks: list[Stack]) -> list[str]:
    """The collector sidecar in both task definitions, its config, the app's exporter, IAM, business alarms, dashboard."""
    errors = []
    service = next(s for s in stacks if s.name == "service")
    instruments = app_instruments()
    declared: set[tuple[str, tuple[str, ...]]] = set()  # (metric, dimension names) the EMF exporter publishes
    configs = {}
    for td in ("ApiTaskDefinition", "SiloTaskDefinition"):
        collector, config, errs = collector_config(service, td)
        errors += errs
        if collector is None:
            continue
        where = f"service:{td}/{COLLECTOR}"
        if collector.get("Image") != {"Ref": "CollectorImage"} or "aws-otel-collector" not in str(service.default({"Ref": "CollectorImage"})):
            errors.append(f"{where}: image must be the CollectorImage parameter (the AWS Distro for OpenTelemetry collector)")
        if collector.get("Essential") is not False:
            errors.append(f"{where}: must not be essential (a telemetry outage must not stop a serving task)")
        if collector.get("Command") != ["--config=env:AOT_CONFIG_CONTENT"]:
            errors.append(f"{where}: must load its config from AOT_CONFIG_CONTENT")
        if config is None:
            continue
        configs[td] = config
        receivers, exporters = config.get("receivers") or {}, config.get("exporters") or {}
        processors, extensions = config.get("processors") or {}, config.get("extensions") or {}
        http = (((receivers.get("otlp") or {}).get("protocols") or {}).get("http") or {}).get("endpoint", "")
        if not re.fullmatch(r"(127\.0\.0\.1|localhost):\d+", str(http)):
            errors.append(f"{where}: the otlp receiver must listen for OTLP/HTTP on localhost only; has {http!r}")
        pipelines = (config.get("service") or {}).get("pipelines") or {}
        for name, p in pipelines.items():
            for kind, defined in (("receivers", receivers), ("processors", processors), ("exporters", exporters)):
                for component in p.get(kind, []):
                    if component not in defined:
                        errors.append(f"{where}: pipeline {name} uses {kind[:-1]} {component}, which the config does not define")
        for component in (config.get("service") or {}).get("extensions", []):
            if component not in extensions:
                errors.append(f"{where}: extension {component} is not defined")
        if "awsxray" not in (pipelines.get("traces") or {}).get("exporters", []):
            errors.append(f"{where}: the traces pipeline must export to X-Ray (awsxray)")
        if "awsemf" not in (pipelines.get("metrics") or {}).get("exporters", []):
            errors.append(f"{where}: the metrics pipeline must export to CloudWatch (awsemf)")
        emf = exporters.get("awsemf") or {}
        if emf.get("namespace") != "LiveStream" or emf.get("log_group_name") != "SUB_MetricsLogGroup":
            errors.append(f"{where}: awsemf must write namespace LiveStream to the MetricsLogGroup")
        for declaration in emf.get("metric_declarations") or []:
            for selector in declaration.get("metric_name_selectors", []):
                matched = {i for i in instruments if re.search(selector, i)}
                if not matched:
                    errors.append(f"{where}: metric selector {selector!r} matches no instrument the app emits")
                for metric in matched:
                    for dims in declaration.get("dimensions", []):
                        declared.add((metric, tuple(sorted(dims))))
        # The app container exports to that receiver, and starts after the collector.
        app = service.props(td)["ContainerDefinitions"][0]
        env = {e["Name"]: e["Value"] for e in app.get("Environment", [])}
        if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") != f"http://{http}" or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") != "http/protobuf":
            errors.append(f"service:{td}: the app must export OTLP http/protobuf to the collector at http://{http}")
        if {"ContainerName": COLLECTOR, "Condition": "START"} not in app.get("DependsOn", []):
            errors.append(f"service:{td}: the app container must start after the {COLLECTOR} container")
        # The task role lets the collector write what it exports.
        role = (service.props(td).get("TaskRoleArn") or {}).get("Fn::GetAtt", [None])[0]
        allowed = {}
        for policy in service.props(role).get("Policies", []) if role else []:
            for st in statements(policy["PolicyDocument"]):
                for a in as_list(st.get("Action", [])):
                    allowed.setdefault(a, []).extend(as_list(st.get("Resource", [])))
        for action in ("xray:PutTraceSegments", "xray:PutTelemetryRecords"):
            if action not in allowed:
                errors.append(f"service:{role}: the collector needs {action}")
        for action in ("logs:PutLogEvents", "logs:CreateLogStream"):
            if {"Fn::GetAtt": ["MetricsLogGroup", "Arn"]} not in allowed.get(action, []):
                errors.append(f"service:{role}: the collector needs {action} on the MetricsLogGroup")
    if len(configs) == 2 and configs["ApiTaskDefinition"] != configs["SiloTaskDefinition"]:
        errors.append("service: the api and silo collectors must run the same config")

    # Every alarm on the LiveStream namespace watches a metric with exactly the dimensions EMF publishes.
    watched = set()
    for aid, a in service.of_type("AWS::CloudWatch::Alarm").items():
        p = a["Properties"]
        metrics = [p] if "MetricName" in p else [m["MetricStat"]["Metric"] for m in p.get("Metrics", []) if m.get("MetricStat")]
        for m in metrics:
            if m.get("Namespace") != "LiveStream":
                continue
            dims = m.get("Dimensions", [])
            if (m.get("MetricName"), tuple(sorted(d["Name"] for d in dims))) not in declared:
                errors.append(f"service:{aid}: watches {m.get('MetricName')} by {[d['Name'] for d in dims]}, which the collector does not publish")
            watched.add((m.get("MetricName"), dims[0]["Name"] if dims else None, dims[0]["Value"] if dims else None))
    for required in REQUIRED_BUSINESS_ALARMS:
        if required not in watched:
            errors.append(f"service: no alarm on {required[0]}" + (f" {required[1]}={required[2]}" if required[1] else ""))

    # The dashboard: valid JSON once substituted, showing every alarm of the stack.
    dashboards = service.of_type("AWS::CloudWatch::Dashboard")
    if len(dashboards) != 1:
        errors.append("service: needs one CloudWatch dashboard")
    for did, d in dashboards.items():
        body = d["Properties"].get("DashboardBody")
        text = substituted(body)
        try:
            parsed = json.loads(text or "")
        except json.JSONDecodeError as e:
            errors.append(f"service:{did}: DashboardBody is not JSON: {e}")
            continue
        shown = {a for w in parsed.get("widgets", []) if w.get("type") == "alarm" for a in w["properties"].get("alarms", [])}
        for aid in service.of_type("AWS::CloudWatch::Alarm"):
            if f"SUB_{aid}_Arn" not in shown:
                errors.append(f"service:{did}: the alarm widget does not show {aid}")
    return errors


def check_media_cors(stacks: list[Stack]) -> list[str]:
    """DESIGN §3: every media distribution answers with CORS for any origin, as the local pipeline does."""
    errors = []
    for s in stacks:
        policies = s.of_type("AWS::CloudFront::ResponseHeadersPolicy")
        for did, d in s.of_type("AWS::CloudFront::Distribution").items():
            config = d["Properties"]["DistributionConfig"]
            behaviors = [("DefaultCacheBehavior", config.get("DefaultCacheBehavior") or {})]
            behaviors += [(f"CacheBehaviors[{i}]", b) for i, b in enumerate(config.get("CacheBehaviors") or [])]
            for where, behavior in behaviors:
                ref = behavior.get("ResponseHeadersPolicyId")
                policy = policies.get(ref.get("Ref")) if isinstance(ref, dict) else None
                if policy is None:
                    errors.append(f"{s.name}:{did}: {where} has no response headers policy of this stack (media CORS)")
                    continue
                cors = policy["Properties"]["ResponseHeadersPolicyConfig"].get("CorsConfig") or {}
                origins = (cors.get("AccessControlAllowOrigins") or {}).get("Items") or []
                methods = set((cors.get("AccessControlAllowMethods") or {}).get("Items") or [])
                if origins != ["*"] or not {"GET", "HEAD"} <= methods or cors.get("AccessControlAllowCredentials") is not False:
                    errors.append(f"{s.name}:{did}: {where} policy must allow any origin to GET and HEAD without credentials")
    return errors


CHECKS = [("references", check_references), ("imports", check_imports), ("resource types", check_resource_types),
          ("ports", check_ports), ("primetime scaling", check_scaling), ("alarms", check_alarms),
          ("dead-letter queues", check_queues), ("services and data", check_services),
          ("security", check_security), ("task role actions", check_role_actions), ("inline code", check_inline_code),
          ("database failover", check_database_failover), ("telemetry", check_telemetry), ("media CORS", check_media_cors)]


# ------------------------------------------------------------------------------------------- self-test
def mutations():
    """(description, check that must catch it, function that breaks a deep copy of the stacks)."""
    def res(stacks, stack, rid):
        return next(s for s in stacks if s.name == stack).resources[rid]

    def m(stack, rid, fn):
        return lambda stacks: fn(res(stacks, stack, rid))

    def set_path(obj, path, value):
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value

    return [
        ("Ref to a resource that does not exist", "references",
         m("service", "HttpsListener", lambda r: set_path(r, ["Properties", "DefaultActions", 0, "TargetGroupArn"], {"Ref": "ApiTargetGroupTypo"}))),
        ("Sub variable that resolves to nothing", "references",
         m("data", "Database", lambda r: set_path(r, ["Properties", "DBInstanceIdentifier"], {"Fn::Sub": "${EnvName}-primary"}))),
        ("import of an export no stack makes", "imports",
         m("service", "ApiService", lambda r: set_path(r, ["Properties", "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups", 0],
                                                       {"Fn::ImportValue": {"Fn::Sub": "${EnvironmentName}-TaskSecurityGroupId"}}))),
        ("a task role missing an action its code calls", "task role actions",
         m("service", "SiloTaskRole", lambda r: [p["PolicyDocument"]["Statement"].remove(st) for p in r["Properties"]["Policies"]
                                                 for st in list(statements(p["PolicyDocument"]))
                                                 if "medialive:CreateChannel" in as_list(st.get("Action", []))])),
        ("MediaLive alerts routed to no queue", "security",
         m("media", "MediaLiveAlertsRule", lambda r: set_path(r, ["Properties", "Targets", 0, "Arn"], {"Fn::GetAtt": ["RecordingEventsDeadLetterQueue", "Arn"]}))),
        ("a resource type outside the allow-list", "resource types",
         m("media", "RecordingsBucket", lambda r: r.__setitem__("Type", "AWS::S3::AccessPoint"))),
        ("silo port rule on the wrong port", "ports",
         m("foundation", "TasksSiloToSilo", lambda r: (set_path(r, ["Properties", "FromPort"], 11112), set_path(r, ["Properties", "ToPort"], 11112)))),
        ("gateway open to the ALB instead of the tasks", "ports",
         m("foundation", "TasksClientToGateway", lambda r: set_path(r, ["Properties", "SourceSecurityGroupId"], {"Ref": "AlbSecurityGroup"}))),
        ("scale-out after primetime has begun", "primetime scaling",
         m("service", "ApiScalableTarget", lambda r: set_path(r, ["Properties", "ScheduledActions", 0, "Schedule"], "cron(15 18 * * ? *)"))),
        ("scale-in before primetime ends", "primetime scaling",
         m("service", "SiloScalableTarget", lambda r: set_path(r, ["Properties", "ScheduledActions", 1, "Schedule"], "cron(45 19 * * ? *)"))),
        ("schedule in UTC instead of the time-zone parameter", "primetime scaling",
         m("service", "SiloScalableTarget", lambda r: set_path(r, ["Properties", "ScheduledActions", 0, "Timezone"], "UTC"))),
        ("alarm on a queue that does not exist", "alarms",
         m("messaging", "EventsDeadLetterAlarm", lambda r: set_path(r, ["Properties", "Dimensions", 0, "Value"], {"Fn::GetAtt": ["EventsDlq", "QueueName"]}))),
        ("ECS alarm keyed by a non-ECS resource", "alarms",
         m("service", "SiloCpuAlarm", lambda r: set_path(r, ["Properties", "Dimensions", 1, "Value"], {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]}))),
        ("queue without a redrive policy", "dead-letter queues",
         m("messaging", "EventsQueue3", lambda r: r["Properties"].pop("RedrivePolicy"))),
        ("silo behind the ALB", "services and data",
         m("service", "SiloService", lambda r: set_path(r, ["Properties", "LoadBalancers"], [{"ContainerName": "livestream", "ContainerPort": 8080, "TargetGroupArn": {"Ref": "ApiTargetGroup"}}]))),
        ("connection string as a plain environment variable", "services and data",
         m("service", "ApiTaskDefinition", lambda r: r["Properties"]["ContainerDefinitions"][0]["Environment"].append({"Name": "ConnectionStrings__Postgres", "Value": "Host=x"}))),
        ("migrate task without the migrate command", "services and data",
         m("cluster", "MigrateTaskDefinition", lambda r: r["Properties"]["ContainerDefinitions"][0].pop("Command"))),
        ("single-AZ database", "services and data",
         m("data", "Database", lambda r: set_path(r, ["Properties", "MultiAZ"], False))),
        ("plain HTTP listener forwarding to the api", "services and data",
         m("service", "HttpRedirectListener", lambda r: set_path(r, ["Properties", "DefaultActions"], [{"Type": "forward", "TargetGroupArn": {"Ref": "ApiTargetGroup"}}]))),
        ("custom resource code with a syntax error", "inline code",
         m("messaging", "PlatformApplicationFunction", lambda r: set_path(r, ["Properties", "Code", "ZipFile"], r["Properties"]["Code"]["ZipFile"].replace("def handler(event, context):", "def handler(event, context)")))),
        ("ALB gives up on readiness sooner than a hung database lets it answer", "database failover",
         m("service", "ApiTargetGroup", lambda r: set_path(r, ["Properties", "HealthCheckTimeoutSeconds"], 2))),
        ("ALB marks a task unhealthy within a database failover", "database failover",
         m("service", "ApiTargetGroup", lambda r: set_path(r, ["Properties", "UnhealthyThresholdCount"], 2))),
        ("live distribution serving unsigned URLs", "security",
         m("media", "LiveDistribution", lambda r: r["Properties"]["DistributionConfig"]["DefaultCacheBehavior"].pop("TrustedKeyGroups"))),
        ("playback private key as a plain environment variable", "security",
         m("service", "ApiTaskDefinition", lambda r: r["Properties"]["ContainerDefinitions"][0]["Environment"].append({"Name": "Media__Playback__CloudFrontPrivateKey", "Value": "-----BEGIN"}))),
        ("PassRole to any service", "security",
         m("service", "SiloTaskRole", lambda r: r["Properties"]["Policies"][2]["PolicyDocument"]["Statement"][2].pop("Condition"))),
        ("api task without the collector sidecar", "telemetry",
         m("service", "ApiTaskDefinition", lambda r: r["Properties"]["ContainerDefinitions"].pop())),
        ("collector traces pipeline without X-Ray", "telemetry",
         m("service", "SiloTaskDefinition", lambda r: set_path(r["Properties"]["ContainerDefinitions"][1]["Environment"][0], ["Value", "Fn::Sub"],
                                                                r["Properties"]["ContainerDefinitions"][1]["Environment"][0]["Value"]["Fn::Sub"].replace("exporters: [awsxray]", "exporters: [awsemf]")))),
        ("app exporting to a collector that is not there", "telemetry",
         m("service", "ApiTaskDefinition", lambda r: [e.__setitem__("Value", "http://127.0.0.1:4319") for e in r["Properties"]["ContainerDefinitions"][0]["Environment"] if e["Name"] == "OTEL_EXPORTER_OTLP_ENDPOINT"])),
        ("task role without X-Ray permissions", "telemetry",
         m("service", "SiloTaskRole", lambda r: r["Properties"]["Policies"].pop())),
        ("alarm on a metric dimension the collector does not publish", "telemetry",
         m("service", "QueueDeadLettersAlarm", lambda r: set_path(r, ["Properties", "Dimensions", 0, "Name"], "messaging.destination.name"))),
        ("no alarm on sessions stuck ending", "telemetry",
         m("service", "SessionsStuckEndingAlarm", lambda r: set_path(r, ["Properties", "Dimensions", 0, "Value"], "starting"))),
        ("alarm on an unknown queue state", "alarms",
         m("service", "QueueBacklogAlarm", lambda r: set_path(r, ["Properties", "Dimensions", 0, "Value"], "waiting"))),
        ("X-Ray statement smuggling a resource-scoped action onto *", "security",
         m("service", "ApiTaskRole", lambda r: r["Properties"]["Policies"][-1]["PolicyDocument"]["Statement"][0]["Action"].append("sqs:SendMessage"))),
        ("live distribution without the media CORS policy", "media CORS",
         m("media", "LiveDistribution", lambda r: r["Properties"]["DistributionConfig"]["DefaultCacheBehavior"].pop("ResponseHeadersPolicyId"))),
        ("media CORS limited to one origin", "media CORS",
         m("media", "MediaCorsHeadersPolicy", lambda r: set_path(r, ["Properties", "ResponseHeadersPolicyConfig", "CorsConfig", "AccessControlAllowOrigins", "Items"], ["https://example.com"]))),
        ("wildcard resource", "security",
         m("service", "ApiTaskRole", lambda r: set_path(r, ["Properties", "Policies", 0, "PolicyDocument", "Statement", 0, "Resource"], "*"))),
    ]


LINT_REGIONS = ["ap-southeast-1"]  # the seed design's region; resource availability is checked there


def _lint_config():
    from cfnlint.api import ManualArgs
    return ManualArgs(regions=LINT_REGIONS)


def run_cfn_lint() -> tuple[bool, str]:
    """cfn-lint (in process, offline: it ships the CloudFormation resource schemas) on every stack."""
    from cfnlint.api import lint_file
    matches = []
    for n in STACK_ORDER:
        matches += lint_file(TEMPLATES / f"{n}.yaml", config=_lint_config())
    text = "\n".join(f"{m.filename}:{m.linenumber}: {m.rule.id} {m.message}"[:300] for m in matches)
    return not matches, text


def cfn_lint_catches_broken_reference() -> tuple[bool, str]:
    """cfn-lint itself must fail on a template with a dangling Ref (so a green lint means something)."""
    from cfnlint.api import lint
    broken = (TEMPLATES / "service.yaml").read_text().replace(
        "TargetGroupArn: !Ref ApiTargetGroup", "TargetGroupArn: !Ref ApiTargetGroupTypo", 1)
    matches = lint(broken, config=_lint_config())
    caught = [m for m in matches if m.rule.id == "E1020" and "ApiTargetGroupTypo" in m.message]
    return bool(caught), f"{caught[0].rule.id} at line {caught[0].linenumber}" if caught else ""


def main() -> int:
    selftest = "--selftest" in sys.argv[1:]
    passed = failed = 0

    def report(name: str, ok: bool, detail: str = ""):
        nonlocal passed, failed
        passed += ok
        failed += not ok
        print(f"deploy: {'PASS' if ok else 'FAIL'} {name}")
        if detail and not ok:
            print("    " + detail.replace("\n", "\n    "))

    ok, out = run_cfn_lint()
    report(f"cfn-lint {', '.join(n + '.yaml' for n in STACK_ORDER)}", ok, out)

    stacks = load_stacks()
    for name, check in CHECKS:
        errors = check(stacks)
        report(name, not errors, "\n".join(errors))

    if selftest:
        ok, out = cfn_lint_catches_broken_reference()
        report("self-test: cfn-lint fails on a dangling Ref", ok, "cfn-lint did not report E1020")
        if ok:
            print(f"    caught: {out}")
        by_name = dict(CHECKS)
        for description, check_name, breaker in mutations():
            broken = copy.deepcopy(stacks)
            breaker(broken)
            errors = by_name[check_name](broken)
            report(f"self-test: '{check_name}' catches {description}", bool(errors),
                   "the check passed a deliberately broken template")
            if errors:
                print(f"    caught: {errors[0]}")

    print(f"deploy: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
