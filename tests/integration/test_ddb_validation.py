# SPDX-License-Identifier: Apache-2.0
"""The DynamoDB validation table (issue 17): every row of every ddb_rows_*.py module, run
against a real stratusd through boto3; each asserts the error type and AWS's exact message."""
import glob
import importlib
import os
import unittest

from ddb_rows import STD_TABLES, Ctx, message_matches, run_row
from stratus_fixture import Server

HERE = os.path.dirname(os.path.abspath(__file__))


def load_rows():
    rows, tables = [], []
    for path in sorted(glob.glob(os.path.join(HERE, "ddb_rows_*.py"))):
        mod = importlib.import_module(os.path.basename(path)[:-3])
        rows.extend(getattr(mod, "ROWS", []))
        tables.extend(getattr(mod, "TABLES", []))
    return rows, tables


class ValidationTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rows, cls.tables = load_rows()
        cls.srv = Server().start()
        cls.ctx = Ctx(cls.srv)
        for t in STD_TABLES + cls.tables:
            cls.ctx.ddb.create_table(**t)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_ids_are_unique_and_rows_complete(self):
        ids = [r.id for r in self.rows]
        self.assertEqual(len(ids), len(set(ids)), "duplicate row ids")
        for r in self.rows:
            self.assertTrue(r.check and r.error, r.id)
            self.assertTrue(r.op or r.call, r.id)

    def test_every_row(self):
        self.assertGreater(len(self.rows), 0)
        for row in self.rows:
            with self.subTest(row=row.id, check=row.check):
                status, err, msg = run_row(self.ctx, row)
                self.assertIsNotNone(err, f"{row.id}: the request succeeded; expected {row.error}")
                self.assertEqual(err, row.error, f"{row.id}: {msg}")
                self.assertTrue(message_matches(row.message, msg),
                                f"{row.id}: message\n  got:      {msg!r}\n  expected: {row.message!r}")
                if row.status and status is not None:
                    self.assertEqual(status, row.status, row.id)


if __name__ == "__main__":
    unittest.main()
