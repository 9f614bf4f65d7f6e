# SPDX-License-Identifier: Apache-2.0
"""Function policy statements the tests add as a user would (issue 15, package L1): a function
URL with AuthType NONE needs a statement allowing everyone lambda:InvokeFunctionUrl, and an AWS
service (S3 notifications, SNS subscriptions, EventBridge targets) invokes a function only when
its policy allows that service (`aws lambda add-permission ...`)."""

import uuid


def public_url(lam, fn, qualifier=None):
    """add-permission --principal '*' --action lambda:InvokeFunctionUrl --function-url-auth-type NONE"""
    kw = {"Qualifier": qualifier} if qualifier else {}
    lam.add_permission(FunctionName=fn, StatementId="url-" + uuid.uuid4().hex[:12],
                       Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE", **kw)


def allow_service(lam, fn, service, source_arn=None, qualifier=None):
    """add-permission --principal <service> --action lambda:InvokeFunction [--source-arn ...]"""
    kw = {"Qualifier": qualifier} if qualifier else {}
    if source_arn:
        kw["SourceArn"] = source_arn
        kw["SourceAccount"] = "000000000000"
    lam.add_permission(FunctionName=fn, StatementId="svc-" + uuid.uuid4().hex[:12],
                       Action="lambda:InvokeFunction", Principal=service, **kw)


def allow_s3(lam, fn, bucket, qualifier=None):
    allow_service(lam, fn, "s3.amazonaws.com", "arn:aws:s3:::" + bucket, qualifier)


def allow_sns(lam, fn, topic_arn=None, qualifier=None):
    allow_service(lam, fn, "sns.amazonaws.com", topic_arn, qualifier)


def allow_events(lam, fn, rule_arn=None, qualifier=None):
    allow_service(lam, fn, "events.amazonaws.com", rule_arn, qualifier)
