# SPDX-License-Identifier: Apache-2.0
"""Shared helpers of issue 15's tests: IAM principals made through the IAM API as the root, and
clients signed with their keys (issue 15, package I; `assume` is package T's)."""
import json

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"

# The access-denied code of each protocol (a service descriptor's err_denied); the query
# protocol of SQS answers "AccessDenied", its JSON protocol "AccessDeniedException".
DENIED_CODES = {
    "iam": {"AccessDenied"},
    "sts": {"AccessDenied"},
    "s3": {"AccessDenied"},
    "dynamodb": {"AccessDeniedException"},
    "dynamodbstreams": {"AccessDeniedException"},
    "lambda": {"AccessDeniedException"},
    "logs": {"AccessDeniedException"},
    "sqs": {"AccessDenied", "AccessDeniedException"},
    "sns": {"AuthorizationError"},
    "events": {"AccessDeniedException"},
}


def _doc(d):
    return d if isinstance(d, str) else json.dumps(d)


def _tags(tags):
    if not tags:
        return []
    if isinstance(tags, dict):
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    return list(tags)


def allow(actions, resources="*", condition=None, effect="Allow", sid=None):
    """A policy document (dict) with one statement."""
    st = {"Effect": effect,
          "Action": actions if isinstance(actions, str) else list(actions),
          "Resource": resources if isinstance(resources, str) else list(resources)}
    if condition:
        st["Condition"] = condition
    if sid:
        st["Sid"] = sid
    return {"Version": "2012-10-17", "Statement": [st]}


def policy(srv, name, doc):
    """A customer managed policy; its ARN."""
    iam = srv.client("iam")
    return iam.create_policy(PolicyName=name, PolicyDocument=_doc(doc))["Policy"]["Arn"]


def user(srv, name, policies=(), managed=(), boundary=None, groups=(), tags=None):
    """An IAM user with an access key, its inline policies (documents), attached managed
    policies (ARNs), permissions boundary (an ARN), groups (created when missing) and tags."""
    iam = srv.client("iam")
    kw = {"UserName": name}
    if tags:
        kw["Tags"] = _tags(tags)
    if boundary:
        kw["PermissionsBoundary"] = boundary
    u = iam.create_user(**kw)["User"]
    for i, doc in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"inline{i}", PolicyDocument=_doc(doc))
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    for g in groups:
        try:
            iam.create_group(GroupName=g)
        except ClientError as e:
            if e.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
        iam.add_user_to_group(GroupName=g, UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return {"access_key": k["AccessKeyId"], "secret_key": k["SecretAccessKey"], "arn": u["Arn"],
            "user_id": u["UserId"], "name": name}


DEFAULT_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": "sts:AssumeRole"},
    ],
}


def role(srv, name, trust=None, policies=(), managed=(), boundary=None, tags=None):
    """A role trusting trust (None: the account and lambda.amazonaws.com), with its inline
    policies, attached managed policies, boundary and tags."""
    iam = srv.client("iam")
    kw = {"RoleName": name, "AssumeRolePolicyDocument": _doc(trust or DEFAULT_TRUST)}
    if tags:
        kw["Tags"] = _tags(tags)
    if boundary:
        kw["PermissionsBoundary"] = boundary
    r = iam.create_role(**kw)["Role"]
    for i, doc in enumerate(policies):
        iam.put_role_policy(RoleName=name, PolicyName=f"inline{i}", PolicyDocument=_doc(doc))
    for arn in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return {"arn": r["Arn"], "role_id": r["RoleId"], "name": name}


def client(srv, creds, service, **cfg):
    """A boto3 client signed with creds (a user() or assume() result)."""
    region = cfg.pop("region", None) or srv.region
    return boto3.client(
        service, endpoint_url=srv.endpoint, region_name=region,
        aws_access_key_id=creds["access_key"], aws_secret_access_key=creds["secret_key"],
        aws_session_token=creds.get("session_token"), verify=cfg.pop("verify", True),
        config=Config(retries={"max_attempts": 1}, **cfg))


def anon(srv, service, **cfg):
    """A client sending unsigned requests."""
    return boto3.client(
        service, endpoint_url=srv.endpoint, region_name=srv.region,
        aws_access_key_id="x", aws_secret_access_key="x", verify=cfg.pop("verify", True),
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}, **cfg))


def denied(fn, *args, **kw):
    """Call fn; assert it was refused with its service's access-denied code; the error
    response."""
    try:
        fn(*args, **kw)
    except ClientError as e:
        svc = getattr(getattr(fn, "__self__", None), "meta", None)
        name = svc.service_model.service_name if svc else None
        code = e.response["Error"]["Code"]
        codes = DENIED_CODES.get(name, {"AccessDenied", "AccessDeniedException", "AuthorizationError"})
        assert code in codes, f"{name}: refused with {code}, not access denied: {e.response}"
        return e.response
    raise AssertionError(f"{getattr(fn, '__name__', fn)} was allowed")


def assume(srv, role_arn, creds=None, session_name="session", policy=None, policy_arns=(), duration=900,
           tags=None, source_identity=None, transitive=(), external_id=None):
    """AssumeRole of role_arn as creds (a user() or assume() result; None: the root), with a
    session policy (a document), PolicyArns, tags (a dict or Key/Value list), transitive tag
    keys, source identity and external id (issue 15, package T): the session's credentials and
    its ARN, as client() takes them."""
    sts = client(srv, creds, "sts") if creds else srv.client("sts")
    kw = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": duration}
    if policy is not None:
        kw["Policy"] = _doc(policy)
    if policy_arns:
        kw["PolicyArns"] = [{"arn": a} for a in policy_arns]
    if tags:
        kw["Tags"] = _tags(tags)
    if transitive:
        kw["TransitiveTagKeys"] = list(transitive)
    if source_identity:
        kw["SourceIdentity"] = source_identity
    if external_id:
        kw["ExternalId"] = external_id
    got = sts.assume_role(**kw)
    c = got["Credentials"]
    return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"],
            "session_token": c["SessionToken"], "arn": got["AssumedRoleUser"]["Arn"],
            "expiration": c["Expiration"]}
