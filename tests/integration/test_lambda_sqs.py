# SPDX-License-Identifier: Apache-2.0
"""Lambda event source mappings from SQS queues (api/lambda/lambda_esm_sqs.c): what
CreateEventSourceMapping refuses for a queue and what Get shows; batches and Lambda's SQS event
field for field; the batching window and BatchSize over 10; filters (a filtered-out message is
deleted); ReportBatchItemFailures; failure, redelivery after the visibility timeout and the
queue's dead-letter queue; FIFO order per group; the MaximumConcurrency bound; kill -9 in the
middle of a batch; disabled and deleted mappings; and the send -> function-start latency."""
import unittest

from botocore.exceptions import ClientError

from lambda_sqs_base import LambdaSqsCase, code, msg


class LambdaSqs(LambdaSqsCase, unittest.TestCase):
    # ---- the API ----

    def test_validation(self):
        _, arn = self.queue("v", VisibilityTimeout=30)
        _, farn = self.queue("v.fifo", FifoQueue="true", VisibilityTimeout=30)
        cases = [
            (dict(EventSourceArn=arn, StartingPosition="LATEST"), "InvalidParameterValueException",
             "StartingPosition is not valid for SQS event sources."),
            (dict(EventSourceArn=arn, MaximumRetryAttempts=2), "InvalidParameterValueException",
             "MaximumRetryAttempts is not valid for SQS event sources."),
            (dict(EventSourceArn=arn, ParallelizationFactor=2), "InvalidParameterValueException", None),
            (dict(EventSourceArn=arn, BisectBatchOnFunctionError=True), "InvalidParameterValueException", None),
            (dict(EventSourceArn=arn, DestinationConfig={"OnFailure": {"Destination": arn}}),
             "InvalidParameterValueException", None),
            (dict(EventSourceArn=arn, BatchSize=11), "InvalidParameterValueException",
             "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"),
            (dict(EventSourceArn=arn, BatchSize=10001, MaximumBatchingWindowInSeconds=1), "ValidationException",
             None),
            (dict(EventSourceArn=arn, MaximumBatchingWindowInSeconds=301), "ValidationException", None),
            (dict(EventSourceArn=arn, ScalingConfig={"MaximumConcurrency": 1}), "ValidationException", None),
            (dict(EventSourceArn=arn, ScalingConfig={"MaximumConcurrency": 1001}), "ValidationException", None),
            (dict(EventSourceArn=farn, BatchSize=11, MaximumBatchingWindowInSeconds=1),
             "InvalidParameterValueException", None),
            (dict(EventSourceArn=farn, MaximumBatchingWindowInSeconds=1), "InvalidParameterValueException", None),
            (dict(EventSourceArn=arn + "-none"), "InvalidParameterValueException", None),
            (dict(EventSourceArn=arn, FunctionResponseTypes=["Nope"]), "ValidationException", None),
        ]
        raw = self.srv.client("lambda", parameter_validation=False)  # the server's checks
        for kw, c, m in cases:
            with self.assertRaises(ClientError, msg=str(kw)) as e:
                raw.create_event_source_mapping(FunctionName="rec", **kw)
            self.assertEqual(code(e), c, kw)
            if m:
                self.assertEqual(msg(e), m)
        # the function's timeout may not exceed the queue's visibility timeout
        _, short = self.queue("short", VisibilityTimeout=2)
        with self.assertRaises(ClientError) as e:
            self.mapping(short)
        self.assertEqual(msg(e), "Queue visibility timeout: 2 seconds is less than Function timeout: 3 seconds")
        m = self.mapping(arn)
        with self.assertRaises(ClientError) as e:  # one mapping per function and queue
            self.mapping(arn)
        self.assertEqual(code(e), "ResourceConflictException")
        with self.assertRaises(ClientError) as e:
            self.lam.update_event_source_mapping(UUID=m["UUID"], BatchSize=100)
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.lam.update_event_source_mapping(UUID=m["UUID"], MaximumRetryAttempts=1)
        self.assertEqual(code(e), "InvalidParameterValueException")
        f = self.mapping(farn, BatchSize=10)
        with self.assertRaises(ClientError) as e:
            self.lam.update_event_source_mapping(UUID=f["UUID"], MaximumBatchingWindowInSeconds=5)
        self.assertEqual(code(e), "InvalidParameterValueException")

    def test_get_update_list_delete(self):
        _, arn = self.queue("crud", VisibilityTimeout=30)
        m = self.mapping(arn, Enabled=False, FilterCriteria={"Filters": [{"Pattern": '{"body": {"a": [1]}}'}]})
        self.assertEqual(m["BatchSize"], 10)
        self.assertEqual(m["MaximumBatchingWindowInSeconds"], 0)
        self.assertEqual(m["EventSourceArn"], arn)
        for absent in ("StartingPosition", "DestinationConfig", "ParallelizationFactor", "MaximumRetryAttempts",
                       "BisectBatchOnFunctionError", "MaximumRecordAgeInSeconds", "ScalingConfig"):
            self.assertNotIn(absent, m)
        g = self.lam.get_event_source_mapping(UUID=m["UUID"])
        self.assertEqual(g["State"], "Disabled")
        self.assertEqual(g["FilterCriteria"]["Filters"][0]["Pattern"], '{"body": {"a": [1]}}')
        self.assertEqual(g["FunctionResponseTypes"], [])
        u = self.lam.update_event_source_mapping(UUID=m["UUID"], BatchSize=500, MaximumBatchingWindowInSeconds=2,
                                                 ScalingConfig={"MaximumConcurrency": 7},
                                                 FunctionResponseTypes=["ReportBatchItemFailures"], Enabled=True)
        self.assertEqual(u["State"], "Updating")
        g = self.lam.get_event_source_mapping(UUID=m["UUID"])
        self.assertEqual((g["BatchSize"], g["MaximumBatchingWindowInSeconds"], g["State"]), (500, 2, "Enabled"))
        self.assertEqual(g["ScalingConfig"], {"MaximumConcurrency": 7})
        self.assertEqual(g["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.lam.update_event_source_mapping(UUID=m["UUID"], ScalingConfig={})
        self.assertNotIn("ScalingConfig", self.lam.get_event_source_mapping(UUID=m["UUID"]))
        listed = self.lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
        self.assertEqual([x["UUID"] for x in listed], [m["UUID"]])
        self.assertEqual(self.lam.delete_event_source_mapping(UUID=m["UUID"])["State"], "Deleting")
        with self.assertRaises(ClientError) as e:
            self.lam.get_event_source_mapping(UUID=m["UUID"])
        self.assertEqual(code(e), "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main()
