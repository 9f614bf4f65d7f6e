# SPDX-License-Identifier: Apache-2.0
"""PartiQL through boto3 and the AWS CLI: ExecuteStatement (SELECT, INSERT, UPDATE, DELETE),
BatchExecuteStatement and ExecuteTransaction, run by the ordinary item operations."""
import json
import os
import shutil
import subprocess
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


class PartiQL(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.ddb.create_table(
            TableName="music",
            KeySchema=[{"AttributeName": "artist", "KeyType": "HASH"},
                       {"AttributeName": "song", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "artist", "AttributeType": "S"},
                                  {"AttributeName": "song", "AttributeType": "S"},
                                  {"AttributeName": "genre", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "by_genre",
                                     "KeySchema": [{"AttributeName": "genre", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            BillingMode="PAY_PER_REQUEST")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def run_(self, stmt, params=None, **kw):
        if params is not None:
            kw["Parameters"] = params
        return self.ddb.execute_statement(Statement=stmt, **kw)

    def get(self, artist, song):
        return self.ddb.get_item(TableName="music", Key={"artist": S(artist), "song": S(song)}).get("Item")

    def test_insert_every_literal_and_parameter(self):
        self.run_("INSERT INTO \"music\" VALUE {'artist': 'Lit', 'song': 'all', 'n': -1.50e2, 'b': true, "
                  "'z': null, 'l': [1, 'two', [false]], 'm': {'k': 'v', 'q': {'deep': 3}}, "
                  "'ss': <<'a', 'b'>>, 'ns': <<1, 2.5>>, 'quote': 'it''s'}")
        it = self.get("Lit", "all")
        self.assertEqual(it["n"], N(-150))
        self.assertEqual(it["b"], {"BOOL": True})
        self.assertEqual(it["z"], {"NULL": True})
        self.assertEqual(it["l"], {"L": [N(1), S("two"), {"L": [{"BOOL": False}]}]})
        self.assertEqual(it["m"], {"M": {"k": S("v"), "q": {"M": {"deep": N(3)}}}})
        self.assertEqual(sorted(it["ss"]["SS"]), ["a", "b"])
        self.assertEqual(sorted(it["ns"]["NS"]), ["1", "2.5"])
        self.assertEqual(it["quote"], S("it's"))
        self.run_("INSERT INTO music VALUE {'artist': ?, 'song': ?, 'bin': ?, 'bs': ?, 'map': ?}",
                  [S("Par"), S("one"), {"B": b"\x00\x01"}, {"BS": [b"x", b"y"]}, {"M": {"a": N(1)}}])
        it = self.get("Par", "one")
        self.assertEqual(it["bin"], {"B": b"\x00\x01"})
        self.assertEqual(it["map"], {"M": {"a": N(1)}})
        with self.assertRaises(ClientError) as e:
            self.run_("INSERT INTO music VALUE {'artist': 'Par', 'song': 'one'}")
        self.assertEqual(code(e), "DuplicateItemException")
        self.assertEqual(msg(e), "Duplicate primary key exists in table")
        with self.assertRaises(ClientError) as e:
            self.run_("INSERT INTO music VALUE {'artist': 'x'}")
        self.assertEqual(msg(e), "One or more parameter values were invalid: Missing the key song in the item")
        with self.assertRaises(ClientError) as e:
            self.run_("INSERT INTO music VALUE {'artist': 'x', 'song': ?}", [S("a"), S("b")])
        self.assertEqual(msg(e), "Number of parameters in request and statement don't match.")
        with self.assertRaises(ClientError) as e:
            self.run_("INSERT INTO music VALUE {'artist': 'x', 'song': 'y', 'genre': 5}")
        self.assertIn("Type mismatch for Index Key genre", msg(e))
        with self.assertRaises(ClientError) as e:
            self.run_("INSERT INTO nope VALUE {'artist': 'x', 'song': 'y'}")
        self.assertEqual(code(e), "ResourceNotFoundException")

    def test_select_query_scan_and_paging(self):
        for i in range(12):
            self.run_("INSERT INTO music VALUE {'artist': 'Sel', 'song': ?, 'n': ?, 'genre': ?}",
                      [S("s%02d" % i), N(i), S("rock" if i % 2 else "jazz")])
        r = self.run_("SELECT * FROM music WHERE artist = 'Sel'")
        self.assertEqual([i["song"]["S"] for i in r["Items"]], ["s%02d" % i for i in range(12)])
        r = self.run_("SELECT song, n FROM \"music\" WHERE artist = ? AND song BETWEEN 's03' AND 's05' "
                      "ORDER BY song DESC", [S("Sel")])
        self.assertEqual(r["Items"], [{"song": S("s05"), "n": N(5)}, {"song": S("s04"), "n": N(4)},
                                      {"song": S("s03"), "n": N(3)}])
        r = self.run_("SELECT song FROM music WHERE artist = 'Sel' AND begins_with(song, 's1') AND n <> 10")
        self.assertEqual(r["Items"], [{"song": S("s11")}])
        # No key condition: a scan with the WHERE as its filter.
        r = self.run_("SELECT song FROM music WHERE n >= 9 AND n IN [9, 11, 42] OR song = 's00'")
        self.assertEqual(sorted(i["song"]["S"] for i in r["Items"]), ["s00", "s09", "s11"])
        # Limit and NextToken walk the result.
        seen, tok = [], None
        while True:
            kw = {"Limit": 5}
            if tok:
                kw["NextToken"] = tok
            r = self.run_("SELECT song FROM music WHERE artist = 'Sel'", **kw)
            seen += [i["song"]["S"] for i in r["Items"]]
            tok = r.get("NextToken")
            if not tok:
                break
        self.assertEqual(seen, ["s%02d" % i for i in range(12)])
        # An index.
        r = self.run_("SELECT * FROM \"music\".\"by_genre\" WHERE genre = 'rock'")
        self.assertEqual(sorted(i["song"]["S"] for i in r["Items"] if i["artist"]["S"] == "Sel"),
                         ["s%02d" % i for i in range(1, 12, 2)])
        self.assertEqual(set(r["Items"][0]), {"artist", "song", "genre"})
        r = self.run_("SELECT * FROM music WHERE artist = 'Sel' AND missing_attr IS MISSING AND n IS NOT NULL",
                      Limit=2)
        self.assertEqual(len(r["Items"]), 2)
        with self.assertRaises(ClientError) as e:
            self.run_("SELECT * FROM music WHERE")
        self.assertTrue(msg(e).startswith("Statement wasn't well formed, can't be processed: "))
        with self.assertRaises(ClientError) as e:
            self.run_("SELECT * FROM music.nope WHERE artist = 'x'")
        self.assertEqual(msg(e), "The table does not have the specified index: nope")
        with self.assertRaises(ClientError) as e:
            self.run_("SELECT * FROM music", NextToken="not-base64!")
        self.assertEqual(code(e), "ValidationException")

    def test_update_and_delete(self):
        self.run_("INSERT INTO music VALUE {'artist': 'Up', 'song': 'a', 'plays': 1, 'l': [1], "
                  "'tags': <<'x'>>, 'gone': 'soon'}")
        r = self.run_("UPDATE music SET plays = plays + 2, l = list_append(l, [2]) SET tags = set_add(tags, <<'y'>>) "
                      "REMOVE gone SET genre = 'pop' WHERE artist = 'Up' AND song = 'a' RETURNING ALL NEW *")
        it = r["Items"][0]
        self.assertEqual(it["plays"], N(3))
        self.assertEqual(it["l"], {"L": [N(1), N(2)]})
        self.assertEqual(sorted(it["tags"]["SS"]), ["x", "y"])
        self.assertNotIn("gone", it)
        r = self.run_("UPDATE music SET plays = 10 WHERE artist = 'Up' AND song = 'a' RETURNING MODIFIED OLD *")
        self.assertEqual(r["Items"], [{"plays": N(3)}])
        r = self.run_("UPDATE music SET tags = set_delete(tags, <<'x'>>) WHERE artist = 'Up' AND song = 'a' "
                      "RETURNING MODIFIED NEW *")
        self.assertEqual(r["Items"], [{"tags": {"SS": ["y"]}}])
        # PartiQL writes reach the index.
        gi = self.ddb.query(TableName="music", IndexName="by_genre", KeyConditionExpression="genre = :g",
                            ExpressionAttributeValues={":g": S("pop")})["Items"]
        self.assertEqual([(i["artist"]["S"], i["song"]["S"]) for i in gi], [("Up", "a")])
        # An item that is not there, or a WHERE that does not hold: the condition fails.
        with self.assertRaises(ClientError) as e:
            self.run_("UPDATE music SET plays = 1 WHERE artist = 'Up' AND song = 'nope'")
        self.assertEqual(code(e), "ConditionalCheckFailedException")
        self.assertIsNone(self.get("Up", "nope"))
        with self.assertRaises(ClientError) as e:
            self.run_("UPDATE music SET plays = 1 WHERE artist = 'Up' AND song = 'a' AND plays > 100",
                      ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertEqual(code(e), "ConditionalCheckFailedException")
        self.assertEqual(e.exception.response["Item"]["plays"], N(10))
        with self.assertRaises(ClientError) as e:
            self.run_("UPDATE music SET plays = 1 WHERE artist = 'Up'")
        self.assertEqual(msg(e), "Where clause does not contain a mandatory equality on all key attributes")
        with self.assertRaises(ClientError) as e:
            self.run_("UPDATE music SET song = 'b' WHERE artist = 'Up' AND song = 'a'")
        self.assertIn("This attribute is part of the key", msg(e))
        # DELETE: an absent item is fine; a WHERE that does not hold is not.
        self.run_("DELETE FROM music WHERE artist = 'Up' AND song = 'nope'")
        with self.assertRaises(ClientError) as e:
            self.run_("DELETE FROM music WHERE artist = 'Up' AND song = 'a' AND plays = 0")
        self.assertEqual(code(e), "ConditionalCheckFailedException")
        r = self.run_("DELETE FROM music WHERE artist = 'Up' AND song = 'a' RETURNING ALL OLD *")
        self.assertEqual(r["Items"][0]["plays"], N(10))
        self.assertIsNone(self.get("Up", "a"))
        gi = self.ddb.query(TableName="music", IndexName="by_genre", KeyConditionExpression="genre = :g",
                            ExpressionAttributeValues={":g": S("pop")})["Items"]
        self.assertEqual(gi, [])

    def test_batch(self):
        r = self.ddb.batch_execute_statement(Statements=[
            {"Statement": "INSERT INTO music VALUE {'artist': 'Bat', 'song': '1'}"},
            {"Statement": "INSERT INTO music VALUE {'artist': 'Bat', 'song': '2', 'v': ?}", "Parameters": [N(2)]},
            {"Statement": "INSERT INTO music VALUE {'artist': 'Bat', 'song': '1'}"},
            {"Statement": "UPDATE music SET v = 1 WHERE artist = 'Bat' AND song = 'x'"},
            {"Statement": "not a statement"},
        ])["Responses"]
        self.assertNotIn("Error", r[0])
        self.assertNotIn("Error", r[1])
        self.assertEqual(r[2]["Error"]["Code"], "DuplicateItem")
        self.assertEqual(r[3]["Error"]["Code"], "ConditionalCheckFailed")
        self.assertEqual(r[4]["Error"]["Code"], "ValidationError")
        r = self.ddb.batch_execute_statement(Statements=[
            {"Statement": "SELECT * FROM music WHERE artist = 'Bat' AND song = '2'"},
            {"Statement": "SELECT v FROM music WHERE artist = 'Bat' AND song = '9'"},
            {"Statement": "SELECT * FROM music WHERE artist = 'Bat'"},
        ])["Responses"]
        self.assertEqual(r[0]["Item"]["v"], N(2))
        self.assertNotIn("Item", r[1])
        self.assertEqual(r[2]["Error"]["Code"], "ValidationError")
        with self.assertRaises(ClientError) as e:
            self.ddb.batch_execute_statement(Statements=[
                {"Statement": "SELECT * FROM music WHERE artist = 'Bat' AND song = '2'"},
                {"Statement": "DELETE FROM music WHERE artist = 'Bat' AND song = '2'"}])
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.ddb.batch_execute_statement(Statements=[{"Statement": "SELECT * FROM music"}] * 26)
        self.assertEqual(code(e), "ValidationException")

    def test_transactions(self):
        self.run_("INSERT INTO music VALUE {'artist': 'Tx', 'song': 'a', 'bal': 100}")
        self.run_("INSERT INTO music VALUE {'artist': 'Tx', 'song': 'b', 'bal': 0}")

        def move(amount, token=None):
            kw = {"ClientRequestToken": token} if token else {}
            return self.ddb.execute_transaction(TransactStatements=[
                {"Statement": "UPDATE music SET bal = bal - ? WHERE artist = 'Tx' AND song = 'a' AND bal >= ?",
                 "Parameters": [N(amount), N(amount)]},
                {"Statement": "UPDATE music SET bal = bal + ? WHERE artist = 'Tx' AND song = 'b'",
                 "Parameters": [N(amount)]}], **kw)
        move(30)
        move(30, token="once")
        move(30, token="once")  # the same token: done once
        with self.assertRaises(ClientError) as e:
            move(50)
        self.assertEqual(code(e), "TransactionCanceledException")
        self.assertEqual([r["Code"] for r in e.exception.response["CancellationReasons"]],
                         ["ConditionalCheckFailed", "None"])
        r = self.ddb.execute_transaction(TransactStatements=[
            {"Statement": "SELECT bal FROM music WHERE artist = 'Tx' AND song = 'a'"},
            {"Statement": "SELECT bal FROM music WHERE artist = 'Tx' AND song = 'b'"}])
        self.assertEqual([x["Item"]["bal"] for x in r["Responses"]], [N(40), N(60)])
        # EXISTS is a condition check; an INSERT of an existing key is a DuplicateItem.
        with self.assertRaises(ClientError) as e:
            self.ddb.execute_transaction(TransactStatements=[
                {"Statement": "EXISTS(SELECT * FROM music WHERE artist = 'Tx' AND song = 'a' AND bal > 1000)"},
                {"Statement": "INSERT INTO music VALUE {'artist': 'Tx', 'song': 'b'}"},
                {"Statement": "DELETE FROM music WHERE artist = 'Tx' AND song = 'zz'"}])
        self.assertEqual([r["Code"] for r in e.exception.response["CancellationReasons"]],
                         ["ConditionalCheckFailed", "DuplicateItem", "None"])
        self.assertIsNotNone(self.get("Tx", "a"))
        self.ddb.execute_transaction(TransactStatements=[
            {"Statement": "EXISTS(SELECT * FROM music WHERE artist = 'Tx' AND song = 'a' AND bal = 40)"},
            {"Statement": "INSERT INTO music VALUE {'artist': 'Tx', 'song': 'c', 'bal': 0}"}])
        self.assertIsNotNone(self.get("Tx", "c"))
        with self.assertRaises(ClientError) as e:
            self.ddb.execute_transaction(TransactStatements=[
                {"Statement": "SELECT * FROM music WHERE artist = 'Tx' AND song = 'a'"},
                {"Statement": "DELETE FROM music WHERE artist = 'Tx' AND song = 'c'"}])
        self.assertEqual(code(e), "ValidationException")

    def test_aws_cli(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")

        def aws(*args):
            p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(args),
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else {}
        aws("dynamodb", "execute-statement", "--statement",
            "INSERT INTO music VALUE {'artist': 'Cli', 'song': 'x', 'n': 1}")
        r = aws("dynamodb", "execute-statement", "--statement", "SELECT n FROM music WHERE artist = ?",
                "--parameters", '[{"S": "Cli"}]')
        self.assertEqual(r["Items"], [{"n": {"N": "1"}}])


if __name__ == "__main__":
    unittest.main()
