# SPDX-License-Identifier: Apache-2.0
"""The benchmarks' function role (issue 15): a function's role must exist and trust Lambda."""
import json

import boto3
from botocore.config import Config

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def lambda_role(endpoint, name="bench", access="test", secret="test"):
    """Create (idempotently) role name trusting lambda.amazonaws.com, allowed everything; its ARN."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access,
                       aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps(ALL))
    return arn
