"""Logs Insights on the emulator answers as AWS does for what Gantry's users
query (scripts/moto_logs.py fills moto's gaps): `filter` applies, a
`@timestamp` is `YYYY-MM-DD HH:MM:SS.mmm`, statistics are reported.

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402


class InsightsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = emulator()
        f = Fixture(env["AWS_ENDPOINT_URL"], f"logs{uuid.uuid4().hex[:8]}")
        cls.logs = f.client("logs")
        cls.group = f"/{f.stack}/web"
        cls.logs.create_log_group(logGroupName=cls.group)
        cls.logs.create_log_stream(logGroupName=cls.group, logStreamName="web/web/t1")
        cls.now = int(time.time() * 1000)
        messages = ["GET / 200", "ERROR db down", "request completed in 12 ms", "ERROR again"]
        cls.logs.put_log_events(
            logGroupName=cls.group, logStreamName="web/web/t1",
            logEvents=[{"timestamp": cls.now - 4000 + i * 1000, "message": m} for i, m in enumerate(messages)],
        )

    @classmethod
    def tearDownClass(cls):
        cls.logs.delete_log_group(logGroupName=cls.group)

    def run_query(self, q):
        qid = self.logs.start_query(
            logGroupNames=[self.group], queryString=q,
            startTime=self.now // 1000 - 60, endTime=self.now // 1000 + 60,
        )["queryId"]
        return self.logs.get_query_results(queryId=qid)

    def rows(self, r):
        return [{f["field"]: f["value"] for f in row if f["field"] != "@ptr"} for row in r["results"]]

    def test_the_seeds_error_query_returns_the_errors_newest_first(self):
        r = self.run_query("fields @timestamp, @message\n| filter @message like /ERROR/\n| sort @timestamp desc")
        self.assertEqual(r["status"], "Complete")
        self.assertEqual([x["@message"] for x in self.rows(r)], ["ERROR again", "ERROR db down"])
        self.assertRegex(self.rows(r)[0]["@timestamp"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
        self.assertEqual(r["statistics"]["recordsMatched"], 2.0)
        self.assertEqual(r["statistics"]["recordsScanned"], 4.0)

    def test_filter_log_events_honours_the_stream_prefix(self):
        group = self.group + "-streams"
        self.logs.create_log_group(logGroupName=group)
        for stream, message in [("web/web/t1", "web up"), ("agent/agent/t1", "agent up")]:
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
            self.logs.put_log_events(logGroupName=group, logStreamName=stream,
                                     logEvents=[{"timestamp": self.now, "message": message}])
        got = self.logs.filter_log_events(logGroupName=group, logStreamNamePrefix="agent/agent/")
        self.assertEqual([e["message"] for e in got["events"]], ["agent up"])
        none = self.logs.filter_log_events(logGroupName=group, logStreamNamePrefix="db/")
        self.assertEqual(none["events"], [])
        self.logs.delete_log_group(logGroupName=group)

    def test_substring_negation_and_conjunction(self):
        r = self.run_query('fields @message | filter @message like "request" | limit 5')
        self.assertEqual([x["@message"] for x in self.rows(r)], ["request completed in 12 ms"])
        r = self.run_query("fields @message | filter @message not like /ERROR/ and @logStream like /web/ "
                           "| sort @timestamp asc")
        self.assertEqual([x["@message"] for x in self.rows(r)], ["GET / 200", "request completed in 12 ms"])
