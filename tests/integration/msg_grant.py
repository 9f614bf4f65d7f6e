# SPDX-License-Identifier: Apache-2.0
"""Resource policies a user writes so that AWS services may send to a queue, a topic or an
event bus (issue 15, package L2): SNS, EventBridge and S3 deliver only where the target's
policy allows their service principal, for the source named in aws:SourceArn."""
import json

ACCOUNT = "000000000000"


def statement(service, action, resource, source_arn=None, sid=None):
    """One Allow statement for a service principal; source_arn limits it to that source
    (ArnLike: wildcards allowed), else to the account (aws:SourceAccount)."""
    cond = ({"ArnLike": {"aws:SourceArn": source_arn}} if source_arn
            else {"StringEquals": {"aws:SourceAccount": ACCOUNT}})
    st = {"Effect": "Allow", "Principal": {"Service": service}, "Action": action,
          "Resource": resource, "Condition": cond}
    if sid:
        st["Sid"] = sid
    return st


def _with(policy_text, st):
    doc = json.loads(policy_text) if policy_text else {"Version": "2012-10-17", "Statement": []}
    stmts = doc.get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    doc["Statement"] = stmts + [st]
    return json.dumps(doc)


def queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def allow_queue(sqs, url, service, source_arn=None):
    """Let service ("sns.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com") send to the
    queue at url (for source_arn); keeps the statements the queue's policy has."""
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "QueueArn"])["Attributes"]
    st = statement(service, "sqs:SendMessage", attrs["QueueArn"], source_arn)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _with(attrs.get("Policy"), st)})


def allow_queue_arn(sqs, arn, service, source_arn=None):
    """allow_queue for a queue named by its ARN."""
    allow_queue(sqs, sqs.get_queue_url(QueueName=arn.split(":")[-1])["QueueUrl"], service, source_arn)


def allow_topic(sns, topic_arn, service, source_arn=None):
    """Let service publish to the topic (for source_arn), keeping its access policy."""
    attrs = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    st = statement(service, "sns:Publish", topic_arn, source_arn)
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy",
                             AttributeValue=_with(attrs.get("Policy"), st))


def allow_bus(events, bus_name, source_arn=None):
    """Let EventBridge put events on bus_name (a rule of another bus targets it)."""
    bus = events.describe_event_bus(Name=bus_name)
    st = statement("events.amazonaws.com", "events:PutEvents", bus["Arn"], source_arn)
    events.put_permission(EventBusName=bus_name, Policy=_with(bus.get("Policy"), st))
