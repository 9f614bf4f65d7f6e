/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_fn_runtimes.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "srv_fn_int.h"

/* python3.x: import the handler's module from the task root, then serve invocations. */
static const char PYTHON[] =
    "import importlib, json, os, sys, time, traceback, urllib.request\n"
    "API = 'http://%s/2018-06-01/runtime' % os.environ['AWS_LAMBDA_RUNTIME_API']\n"
    "import importlib.util\n"
    "# sys.path as Lambda's: the code, the layers, the runtime, then the interpreter's own.\n"
    "TASK = os.environ.get('LAMBDA_TASK_ROOT', os.getcwd())\n"
    "RUNTIME = os.path.dirname(os.path.abspath(__file__))\n"
    "PY = 'python%d.%d' % sys.version_info[:2]\n"
    "OPT = os.environ.pop('STRATUS_OPT_DIR', '/opt')  # only without a sandbox: its layers\n"
    "FRONT = [TASK, OPT + '/python/lib/%s/site-packages' % PY, OPT + '/python', RUNTIME]\n"
    "sys.path[:] = FRONT + [p for p in sys.path if p not in FRONT and p != '']\n"
    "if importlib.util.find_spec('boto3') is None and "
    "os.path.isdir('/usr/lib/python3/dist-packages'):\n"
    "    sys.path.append('/usr/lib/python3/dist-packages')  # the runtime's boto3, another Python\n"
    "# Application logs as Lambda's Python runtime writes them: the logging module's records thro"
    "ugh\n"
    "# a root handler, as text (\"[LEVEL]\\t<time>\\t<request id>\\t<message>\") or, with Logging"
    "Config\n"
    "# JSON (AWS_LAMBDA_LOG_FORMAT), as JSON lines filtered by AWS_LAMBDA_LOG_LEVEL; print() stay"
    "s\n"
    "# plain text.\n"
    "import logging\n"
    "LOG_JSON = os.environ.get('AWS_LAMBDA_LOG_FORMAT', '').upper() == 'JSON'\n"
    "_rid = ['']\n"
    "def _iso(t, ms=True):\n"
    "    s = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t))\n"
    "    return s + ('.%03dZ' % (int(t * 1000) % 1000) if ms else '')\n"
    "class _LambdaHandler(logging.Handler):\n"
    "    _KNOWN = set(logging.LogRecord('', 0, '', 0, '', None, None).__dict__) | {'message', 'as"
    "ctime'}\n"
    "    def emit(self, record):\n"
    "        try:\n"
    "            if not LOG_JSON:\n"
    "                line = '[%s]\\t%s\\t%s\\t%s' % (record.levelname, _iso(record.created), _rid"
    "[0],\n"
    "                                             record.getMessage())\n"
    "                sys.stdout.write(line.replace('\\n', '\\r') + '\\n')\n"
    "                return\n"
    "            doc = {'timestamp': _iso(record.created),\n"
    "                   'level': logging.getLevelName(min(50, max(0, record.levelno)) // 10 * 10)"
    ",\n"
    "                   'message': record.getMessage(), 'logger': record.name}\n"
    "            if record.exc_info and record.exc_info[1] is not None:\n"
    "                doc['stackTrace'] = traceback.format_tb(record.exc_info[2])\n"
    "                doc['errorType'] = record.exc_info[0].__name__\n"
    "                doc['errorMessage'] = str(record.exc_info[1])\n"
    "            doc['requestId'] = _rid[0]\n"
    "            if record.exc_info:\n"
    "                doc['location'] = '%s:%s:%s' % (record.pathname, record.funcName, record.lin"
    "eno)\n"
    "            for k, v in record.__dict__.items():  # extra=... fields\n"
    "                if k not in self._KNOWN and k not in doc and v is not None:\n"
    "                    doc[k] = v\n"
    "            sys.stdout.write(json.dumps(doc, default=str, ensure_ascii=False) + '\\n')\n"
    "        except Exception:\n"
    "            self.handleError(record)\n"
    "        finally:\n"
    "            sys.stdout.flush()\n"
    "logging.Formatter.converter = time.gmtime\n"
    "logging.getLogger().addHandler(_LambdaHandler())\n"
    "_level = {'TRACE': 'DEBUG'}.get(os.environ.get('AWS_LAMBDA_LOG_LEVEL', '').upper(),\n"
    "                                os.environ.get('AWS_LAMBDA_LOG_LEVEL', '').upper())\n"
    "if _level in ('DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'):\n"
    "    logging.getLogger().setLevel(_level)\n"
    "def log_error(kind, message, tb, rid=''):\n"
    "    # An error as Lambda's runtime prints it: one event (\\r joins its lines, indentation as"
    "\n"
    "    # no-break spaces), or one JSON record.\n"
    "    if LOG_JSON:\n"
    "        doc = {'timestamp': _iso(time.time(), False), 'level': 'ERROR', 'errorMessage': mess"
    "age,\n"
    "               'errorType': kind, 'requestId': rid, 'stackTrace': tb}\n"
    "        sys.stdout.write(json.dumps(doc, default=str) + '\\n')\n"
    "    else:\n"
    "        lines = ['[ERROR] %s: %s' % (kind, message), 'Traceback (most recent call last):']\n"
    "        for t in tb:\n"
    "            for l in t.splitlines():\n"
    "                n = len(l) - len(l.lstrip(' '))\n"
    "                lines.append('\\u00a0' * n + l[n:])\n"
    "        sys.stdout.write('\\r'.join(lines) + '\\n')\n"
    "    sys.stdout.flush()\n"
    "def post(path, body, error_type=None):\n"
    "    headers = {'Content-Type': 'application/json'}\n"
    "    if error_type:\n"
    "        headers['Lambda-Runtime-Function-Error-Type'] = error_type\n"
    "    req = urllib.request.Request(API + path, data=body, headers=headers, method='POST')\n"
    "    urllib.request.urlopen(req).read()\n"
    "def error_doc(e, kind=None):\n"
    "    return json.dumps({'errorMessage': str(e), 'errorType': kind or type(e).__name__,\n"
    "                       'stackTrace': traceback.format_tb(e.__traceback__)}).encode()\n"
    "class ClientContext:\n"
    "    def __init__(self, doc):\n"
    "        self.client = doc.get('client')\n"
    "        self.custom = doc.get('custom')\n"
    "        self.env = doc.get('env')\n"
    "class Context:\n"
    "    def __init__(self, rid, deadline, arn, client_context=None):\n"
    "        self.aws_request_id = rid\n"
    "        self.invoked_function_arn = arn\n"
    "        self.function_name = os.environ.get('AWS_LAMBDA_FUNCTION_NAME')\n"
    "        self.function_version = os.environ.get('AWS_LAMBDA_FUNCTION_VERSION')\n"
    "        self.memory_limit_in_mb = os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')\n"
    "        self.log_group_name = os.environ.get('AWS_LAMBDA_LOG_GROUP_NAME')\n"
    "        self.log_stream_name = os.environ.get('AWS_LAMBDA_LOG_STREAM_NAME')\n"
    "        self.identity = None\n"
    "        self.client_context = ClientContext(json.loads(client_context)) if client_context "
    "else None\n"
    "        self._deadline = deadline\n"
    "    def get_remaining_time_in_millis(self):\n"
    "        return max(0, self._deadline - int(time.time() * 1000))\n"
    "def init_error(kind, message, e):\n"
    "    log_error(kind, message, traceback.format_tb(e.__traceback__))\n"
    "    doc = {'errorMessage': message, 'errorType': kind,\n"
    "           'stackTrace': traceback.format_tb(e.__traceback__)}\n"
    "    post('/init/error', json.dumps(doc).encode(), kind)\n"
    "    sys.exit(1)\n"
    "module, _, name = os.environ['_HANDLER'].rpartition('.')\n"
    "try:\n"
    "    mod = importlib.import_module(module.replace('/', '.'))\n"
    "except SyntaxError as e:\n"
    "    init_error('Runtime.UserCodeSyntaxError', \"Syntax error in module '%s': %s\" % (module, "
    "e), e)\n"
    "except Exception as e:\n"
    "    init_error('Runtime.ImportModuleError', \"Unable to import module '%s': %s\" % (module, "
    "e), e)\n"
    "handler = getattr(mod, name, None)\n"
    "if not callable(handler):\n"
    "    init_error('Runtime.HandlerNotFound', \"Handler '%s' missing on module '%s'\" % (name, "
    "module), Exception())\n"
    "while True:\n"
    "    with urllib.request.urlopen(API + '/invocation/next') as r:\n"
    "        rid = r.headers['Lambda-Runtime-Aws-Request-Id']\n"
    "        _rid[0] = rid\n"
    "        ctx = Context(rid, int(r.headers['Lambda-Runtime-Deadline-Ms']),\n"
    "                      r.headers['Lambda-Runtime-Invoked-Function-Arn'],\n"
    "                      r.headers.get('Lambda-Runtime-Client-Context'))\n"
    "        raw = r.read()\n"
    "    try:\n"
    "        result = handler(json.loads(raw) if raw else None, ctx)\n"
    "    except Exception as e:\n"
    "        log_error(type(e).__name__, str(e), traceback.format_tb(e.__traceback__), rid)\n"
    "        post('/invocation/%s/error' % rid, error_doc(e), 'Unhandled')\n"
    "        continue\n"
    "    try:\n"
    "        out = json.dumps(result).encode()\n"
    "    except (TypeError, ValueError) as e:\n"
    "        doc = {'errorMessage': 'Unable to marshal response: %s' % e,\n"
    "               'errorType': 'Runtime.MarshalError', 'requestId': rid, 'stackTrace': []}\n"
    "        post('/invocation/%s/error' % rid, json.dumps(doc).encode(), 'Runtime.MarshalError')\n"
    "        continue\n"
    "    post('/invocation/%s/response' % rid, out)\n";

/* nodejs*: load the handler's module as Lambda does (module.js, module.mjs, module.cjs; a .js
 * is an ES module under a package.json of type "module"; ES modules by import(), so top-level
 * await works); async handlers, promises and callbacks. */
static const char NODE[] =
    "'use strict';\n"
    "const fs = require('fs');\n"
    "const http = require('http');\n"
    "const path = require('path');\n"
    "const { pathToFileURL } = require('url');\n"
    "try { require(path.join(__dirname, 'sdk_endpoints.js')); } catch (e) {\n"
    "  console.error('stratus: the SDK endpoint hook did not load: ' + e.message); }\n"
    "let esmHooked = false;\n"
    "/* ES modules find NODE_PATH's packages too, as on Lambda: through a resolve hook, only\n"
    " * when one of its node_modules exists and is not already on the code's way up. */\n"
    "function esmNeedsHook(root) {\n"
    "  const up = new Set();\n"
    "  for (let d = root; ; d = path.dirname(d)) {\n"
    "    try { up.add(fs.realpathSync(path.join(d, 'node_modules'))); } catch (e) {}\n"
    "    if (d === path.dirname(d)) break;\n"
    "  }\n"
    "  return (process.env.NODE_PATH || '').split(':').some((d) => {\n"
    "    if (path.basename(d) !== 'node_modules') return false;\n"
    "    try { return !up.has(fs.realpathSync(d)); } catch (e) { return false; }\n"
    "  });\n"
    "}\n"
    "function importESM(file) {\n"
    "  if (!esmHooked) {\n"
    "    esmHooked = true;\n"
    "    const m = require('module');\n"
    "    if (typeof m.register === 'function' && esmNeedsHook(process.env.LAMBDA_TASK_ROOT))\n"
    "      m.register(pathToFileURL(path.join(__dirname, 'esm_resolve.mjs')).href);\n"
    "  }\n"
    "  return import(pathToFileURL(file).href);\n"
    "}\n"
    "const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');\n"
    "const base = '/2018-06-01/runtime';\n"
    "// Application logs as Lambda's Node runtime writes them: console.* as text\n"
    "// (\"<time>\\t<request id>\\t<LEVEL>\\t<message>\", newlines as \\r: one event) or, with Lo"
    "ggingConfig\n"
    "// JSON (AWS_LAMBDA_LOG_FORMAT), as JSON records; both filtered by AWS_LAMBDA_LOG_LEVEL.\n"
    "const LOG_JSON = (process.env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';\n"
    "let currentRid;\n"
    "function errorJson(e, kind) {\n"
    "  return { errorType: kind || (e && e.constructor && e.constructor.name) || 'UnknownError',"
    "\n"
    "           errorMessage: String(e && e.message || e), stackTrace: typeof (e && e.stack) === "
    "'string' ? e.stack.split('\\n') : [] };\n"
    "}\n"
    "function logError(kind, e, rid, label) {\n"
    "  const err = errorJson(e, kind);\n"
    "  if (LOG_JSON)\n"
    "    process.stdout.write(JSON.stringify({ timestamp: new Date().toISOString(), level: 'ERROR"
    "', requestId: rid, message: err }) + '\\n');\n"
    "  else\n"
    "    process.stdout.write(new Date().toISOString() + '\\t' + rid + '\\tERROR\\t' + label + ' "
    "\\t' +\n"
    "      JSON.stringify({ errorType: err.errorType, errorMessage: err.errorMessage, stack: err."
    "stackTrace }) + '\\n');\n"
    "}\n"
    "{\n"
    "  const util = require('util');\n"
    "  const levels = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };\n"
    "  const min = levels[(process.env.AWS_LAMBDA_LOG_LEVEL || 'TRACE').toUpperCase()] ?? 0;\n"
    "  const emit = (level) => (...args) => {\n"
    "    if (levels[level] < min) return;\n"
    "    if (!LOG_JSON) {\n"
    "      const line = new Date().toISOString() + '\\t' + currentRid + '\\t' + level + '\\t' + u"
    "til.format(...args);\n"
    "      process.stdout.write(line.replace(/\\n/g, '\\r') + '\\n');\n"
    "      return;\n"
    "    }\n"
    "    const doc = { timestamp: new Date().toISOString(), level, requestId: currentRid };\n"
    "    let line;\n"
    "    if (args.length === 1) { // one value: the message is that value (an error as its JSON)"
    "\n"
    "      doc.message = args[0] instanceof Error ? errorJson(args[0]) : args[0];\n"
    "      try { line = JSON.stringify(doc); } catch (e) { doc.message = util.format(args[0]); }"
    "\n"
    "    } else {\n"
    "      doc.message = util.format(...args);\n"
    "      const e = args.find((a) => a instanceof Error);\n"
    "      if (e) Object.assign(doc, errorJson(e));\n"
    "    }\n"
    "    process.stdout.write((line || JSON.stringify(doc)) + '\\n');\n"
    "  };\n"
    "  console.trace = emit('TRACE');\n"
    "  console.debug = emit('DEBUG');\n"
    "  console.info = emit('INFO');\n"
    "  console.log = emit('INFO');\n"
    "  console.warn = emit('WARN');\n"
    "  console.error = emit('ERROR');\n"
    "  console.fatal = emit('FATAL');\n"
    "}\n"
    "function call(method, p, body, headers) {\n"
    "  return new Promise((resolve, reject) => {\n"
    "    const req = http.request({ host, port, method, path: base + p, headers: headers || "
    "{} }, (res) => {\n"
    "      const chunks = [];\n"
    "      res.on('data', (c) => chunks.push(c));\n"
    "      res.on('end', () => resolve({ headers: res.headers, body: "
    "Buffer.concat(chunks).toString() }));\n"
    "    });\n"
    "    req.on('error', reject);\n"
    "    if (body !== undefined) req.write(body);\n"
    "    req.end();\n"
    "  });\n"
    "}\n"
    "function errorDoc(e, type) {\n"
    "  return JSON.stringify({ errorMessage: String(e && e.message || e), errorType: type || "
    "(e && e.name) || 'Error', stackTrace: String(e && e.stack || '').split('\\n') });\n"
    "}\n"
    "function lambdaError(type, message) {\n"
    "  const e = new Error(message);\n"
    "  e.lambdaType = type;\n"
    "  return e;\n"
    "}\n"
    "function esmPackage(dir, root) {\n"
    "  for (let d = dir; ; d = path.dirname(d)) {\n"
    "    const p = path.join(d, 'package.json');\n"
    "    if (fs.existsSync(p)) {\n"
    "      try { return JSON.parse(fs.readFileSync(p, 'utf8')).type === 'module'; } catch (e) "
    "{ return false; }\n"
    "    }\n"
    "    if (d === root || d === path.dirname(d)) return false;\n"
    "  }\n"
    "}\n"
    "async function loadHandler(root, spec) {\n"
    "  const slash = spec.lastIndexOf('/');\n"
    "  const dir = path.resolve(root, spec.slice(0, slash + 1));\n"
    "  const base = spec.slice(slash + 1);\n"
    "  const dot = base.indexOf('.');\n"
    "  if (dot <= 0 || dot === base.length - 1)\n"
    "    throw lambdaError('Runtime.MalformedHandlerName', \"Bad handler '\" + spec + \"'\");\n"
    "  const file = path.join(dir, base.slice(0, dot));\n"
    "  let mod;\n"
    "  try {\n"
    "    if (fs.existsSync(file + '.js'))\n"
    "      mod = esmPackage(dir, root) ? await importESM(file + '.js') : "
    "require(file + '.js');\n"
    "    else if (fs.existsSync(file + '.mjs')) mod = await importESM(file + '.mjs');\n"
    "    else if (fs.existsSync(file + '.cjs')) mod = require(file + '.cjs');\n"
    "    else mod = require(file);\n"
    "  } catch (e) {\n"
    "    if (e instanceof SyntaxError) e.lambdaType = 'Runtime.UserCodeSyntaxError';\n"
    "    else if (e && e.code === 'MODULE_NOT_FOUND' && !e.lambdaType) {\n"
    "      e.lambdaType = 'Runtime.ImportModuleError';\n"
    "      e.message = 'Error: ' + e.message;\n"
    "    }\n"
    "    throw e;\n"
    "  }\n"
    "  let h = mod;\n"
    "  for (const k of base.slice(dot + 1).split('.')) h = h == null ? undefined : h[k];\n"
    "  if (typeof h !== 'function')\n"
    "    throw lambdaError('Runtime.HandlerNotFound', base + ' is undefined or not "
    "exported');\n"
    "  return h;\n"
    "}\n"
    "async function main() {\n"
    "  let handler;\n"
    "  try {\n"
    "    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);\n"
    "  } catch (e) {\n"
    "    const type = (e && e.lambdaType) || 'Runtime.ImportModuleError';\n"
    "    logError(type, e, undefined, 'Uncaught Exception');\n"
    "    await call('POST', '/init/error', errorDoc(e, type), { "
    "'Lambda-Runtime-Function-Error-Type': type });\n"
    "    process.exit(1);\n"
    "  }\n"
    "  for (;;) {\n"
    "    const next = await call('GET', '/invocation/next');\n"
    "    const rid = next.headers['lambda-runtime-aws-request-id'];\n"
    "    currentRid = rid;\n"
    "    const deadline = Number(next.headers['lambda-runtime-deadline-ms']);\n"
    "    const context = { awsRequestId: rid, invokedFunctionArn: "
    "next.headers['lambda-runtime-invoked-function-arn'],\n"
    "      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: "
    "process.env.AWS_LAMBDA_FUNCTION_VERSION,\n"
    "      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, logGroupName: "
    "process.env.AWS_LAMBDA_LOG_GROUP_NAME,\n"
    "      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,\n"
    "      clientContext: next.headers['lambda-runtime-client-context'] ? "
    "JSON.parse(next.headers['lambda-runtime-client-context']) : undefined,\n"
    "      identity: undefined, callbackWaitsForEmptyEventLoop: true,\n"
    "      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };\n"
    "    try {\n"
    "      const event = next.body ? JSON.parse(next.body) : null;\n"
    "      const result = await new Promise((resolve, reject) => {\n"
    "        const r = handler(event, context, (err, val) => (err ? reject(err) : "
    "resolve(val)));\n"
    "        if (r && typeof r.then === 'function') r.then(resolve, reject);\n"
    "        else if (handler.length < 3) resolve(r);\n"
    "      });\n"
    "      await call('POST', '/invocation/' + rid + '/response', JSON.stringify(result === "
    "undefined ? null : result));\n"
    "    } catch (e) {\n"
    "      logError((e && e.name) || 'Error', e, rid, 'Invoke Error');\n"
    "      await call('POST', '/invocation/' + rid + '/error', errorDoc(e), { "
    "'Lambda-Runtime-Function-Error-Type': 'Unhandled' });\n"
    "    }\n"
    "  }\n"
    "}\n"
    "main();\n";

/* The start-up hooks. Python: sitecustomize.py, which site imports from PYTHONPATH
 * (/var/runtime, as on Lambda) in every interpreter the function starts, so that boto3 in a
 * subprocess is routed too; it only adds a finder to sys.meta_path, whose one string
 * comparison per import is all it costs until botocore.session is imported. */
static const char SITECUSTOMIZE[] =
    "# Stratus's runtime hook: botocore clients made without endpoint_url go to AWS_ENDPOINT_URL\n"
    "# when the botocore imported (the runtime's or one in the code) predates that variable.\n"
    "import sys\n"
    "\n"
    "\n"
    "class _StratusEndpoints:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name != \"botocore.session\":\n"
    "            return None\n"
    "        for finder in sys.meta_path:\n"
    "            find = getattr(finder, \"find_spec\", None)\n"
    "            if finder is self or find is None:\n"
    "                continue\n"
    "            spec = find(name, path, target)\n"
    "            if spec is not None and spec.loader is not None:\n"
    "                run = spec.loader.exec_module\n"
    "\n"
    "                def exec_module(module):\n"
    "                    run(module)\n"
    "                    _patch(module)\n"
    "\n"
    "                spec.loader.exec_module = exec_module\n"
    "                return spec\n"
    "        return None\n"
    "\n"
    "\n"
    "def _endpoint(service):\n"
    "    import os\n"
    "    env = os.environ\n"
    "    if env.get(\"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS\", \"\").lower() == \"true\":\n"
    "        return None\n"
    "    key = \"AWS_ENDPOINT_URL_\" + str(service).upper().replace(\"-\", \"_\").replace(\" \", "
    "\"_\")\n"
    "    return env.get(key) or env.get(\"AWS_ENDPOINT_URL\") or None\n"
    "\n"
    "\n"
    "def _patch(module):\n"
    "    cp = sys.modules.get(\"botocore.configprovider\")\n"
    "    known = getattr(cp, \"BOTOCORE_DEFAUT_SESSION_VARIABLES\", None) or getattr(\n"
    "        cp, \"BOTOCORE_DEFAULT_SESSION_VARIABLES\", {})\n"
    "    if \"ignore_configured_endpoint_urls\" in known:\n"
    "        return  # this botocore reads AWS_ENDPOINT_URL itself\n"
    "    session = getattr(module, \"Session\", None)\n"
    "    create = getattr(session, \"create_client\", None)\n"
    "    if create is None or getattr(create, \"_stratus\", False):\n"
    "        return\n"
    "\n"
    "    def create_client(self, service_name, *args, **kwargs):\n"
    "        if len(args) < 5 and kwargs.get(\"endpoint_url\") is None:\n"
    "            url = _endpoint(service_name)\n"
    "            if url:\n"
    "                kwargs[\"endpoint_url\"] = url\n"
    "        return create(self, service_name, *args, **kwargs)\n"
    "\n"
    "    create_client._stratus = True\n"
    "    create_client.__doc__ = create.__doc__\n"
    "    session.create_client = create_client\n"
    "\n"
    "\n"
    "sys.meta_path.insert(0, _StratusEndpoints())\n";
static const char SDK_ENDPOINTS[] =
    "'use strict';\n"
    "// Stratus's runtime hook: AWS SDK clients that the function's code bundles and that predate\n"
    "// AWS_ENDPOINT_URL (aws-sdk v2, @aws-sdk v3 before 3.428) go to that endpoint when made "
    "without\n"
    "// one. Recent v3 clients read the variable themselves and are left alone.\n"
    "const Module = require('module');\n"
    "\n"
    "function endpoint(service) {\n"
    "  const env = process.env;\n"
    "  if (String(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).toLowerCase() === 'true') return "
    "undefined;\n"
    "  const key = service ? 'AWS_ENDPOINT_URL_' + String(service).toUpperCase().replace(/[ -]/g, "
    "'_') : '';\n"
    "  return (key && env[key]) || env.AWS_ENDPOINT_URL || undefined;\n"
    "}\n"
    "\n"
    "// aws-sdk v2: its global configuration (every service client starts from it).\n"
    "const v2Done = new WeakSet();\n"
    "function patchV2(AWS) {\n"
    "  if (!AWS || typeof AWS !== 'object' || v2Done.has(AWS) || !AWS.config || typeof "
    "AWS.config.update !== 'function')\n"
    "    return;\n"
    "  v2Done.add(AWS);\n"
    "  const url = endpoint();\n"
    "  if (url && !AWS.config.endpoint) AWS.config.update({ endpoint: url, s3ForcePathStyle: true "
    "});\n"
    "}\n"
    "\n"
    "// @aws-sdk v3 before AWS_ENDPOINT_URL: the base client of smithy-client, whose send() gets\n"
    "// the endpoint when the client's configuration has none of its own.\n"
    "function patchV3(exports) {\n"
    "  const C = exports && exports.Client;\n"
    "  if (typeof C !== 'function' || !C.prototype || typeof C.prototype.send !== 'function' || "
    "C.prototype.send.stratus)\n"
    "    return;\n"
    "  const send = C.prototype.send;\n"
    "  const routed = function (...args) {\n"
    "    const c = this.config;\n"
    "    if (c && !c.stratusChecked) {\n"
    "      c.stratusChecked = true;\n"
    "      const url = !c.isCustomEndpoint && !('serviceConfiguredEndpoint' in c) && "
    "endpoint(c.serviceId);\n"
    "      if (url) {\n"
    "        const u = new URL(url);\n"
    "        const ep = { protocol: u.protocol, hostname: u.hostname, port: u.port ? "
    "Number(u.port) : undefined,\n"
    "          path: u.pathname || '/' };\n"
    "        c.endpoint = () => Promise.resolve(ep);\n"
    "        c.isCustomEndpoint = true;\n"
    "        if ('forcePathStyle' in c || c.serviceId === 'S3') c.forcePathStyle = true;\n"
    "      }\n"
    "    }\n"
    "    return send.apply(this, args);\n"
    "  };\n"
    "  routed.stratus = true;\n"
    "  C.prototype.send = routed;\n"
    "}\n"
    "\n"
    "const load = Module._load;\n"
    "Module._load = function (request, parent, isMain) {\n"
    "  const exports = load.apply(this, arguments);\n"
    "  if (typeof request === 'string') {\n"
    "    if (request.endsWith('smithy-client')) patchV3(exports);\n"
    "    else if (request.includes('aws-sdk') && !request.includes('@aws-sdk')) {\n"
    "      try {\n"
    "        const file = Module._resolveFilename(request, parent, isMain);\n"
    "        const at = file.lastIndexOf('/aws-sdk/');\n"
    "        const core = at >= 0 && require.cache[file.slice(0, at) + '/aws-sdk/lib/core.js'];\n"
    "        if (core) patchV2(core.exports);\n"
    "      } catch (e) { /* not the SDK */ }\n"
    "    }\n"
    "  }\n"
    "  return exports;\n"
    "};\n";
static const char ESM_RESOLVE[] =
    "// Stratus's runtime hook: ES modules find packages in NODE_PATH's folders (layers, the\n"
    "// runtime's SDK) after their own node_modules, as Lambda's Node.js runtimes do since 18.\n"
    "import { pathToFileURL } from 'node:url';\n"
    "import path from 'node:path';\n"
    "\n"
    "const dirs = (process.env.NODE_PATH || '').split(':').filter((d) => d && path.basename(d) === "
    "'node_modules');\n"
    "\n"
    "export async function resolve(specifier, context, next) {\n"
    "  try {\n"
    "    return await next(specifier, context);\n"
    "  } catch (e) {\n"
    "    if (e && e.code === 'ERR_MODULE_NOT_FOUND' && !/^(\\.|\\/|[a-z]+:)/.test(specifier)) {\n"
    "      for (const d of dirs) {\n"
    "        try {\n"
    "          return await next(specifier, { ...context, parentURL: "
    "pathToFileURL(path.join(path.dirname(d), 'index.mjs')).href });\n"
    "        } catch (e2) { /* the next folder */ }\n"
    "      }\n"
    "    }\n"
    "    throw e;\n"
    "  }\n"
    "}\n";

/* ---- interpreters ---- */

typedef struct interp {
    bool py; /* Python, else Node.js */
    int major, minor;
    char version[32]; /* as it reports itself: "3.11.2", "20.20.2" */
    char path[PATH_MAX];
} interp_t;

enum { INTERPS_MAX = 24 };

/* Lambda's python3.x and nodejs*.x runtimes, and what runs each here. */
typedef struct rt {
    const char *name;
    bool py;
    int major, minor;      /* python3.<minor>; nodejs<major>.x */
    const interp_t *ip;    /* NULL: no interpreter of its language at all */
    char warning[192];     /* "" when ip is its own version */
    char why[256];         /* when ip is NULL */
    char map[PATH_MAX];    /* --runtime NAME=PATH */
    char prefix[PATH_MAX]; /* what of map's installation sandboxes show ("": nothing) */
} rt_t;

static rt_t rts[] = {
    {.name = "python3.9", .py = true, .major = 3, .minor = 9},
    {.name = "python3.10", .py = true, .major = 3, .minor = 10},
    {.name = "python3.11", .py = true, .major = 3, .minor = 11},
    {.name = "python3.12", .py = true, .major = 3, .minor = 12},
    {.name = "python3.13", .py = true, .major = 3, .minor = 13},
    {.name = "python3.14", .py = true, .major = 3, .minor = 14},
    {.name = "nodejs18.x", .major = 18},
    {.name = "nodejs20.x", .major = 20},
    {.name = "nodejs22.x", .major = 22},
    {.name = "nodejs24.x", .major = 24},
};
#define N_RTS (sizeof(rts) / sizeof(rts[0]))

/* Set once at start (configure, then init), read-only afterwards from any thread. */
static interp_t interps[INTERPS_MAX];
static size_t n_interps;
static char node_sdk[PATH_MAX];
static bool node_sdk_set;

static rt_t *rt_find(const char *name)
{
    for (size_t i = 0; i < N_RTS; i++)
        if (strcmp(rts[i].name, name) == 0)
            return &rts[i];
    return NULL;
}

/* Is a an ancestor of b, or b itself (both resolved)? */
static bool covers(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strcmp(a, "/") == 0 || (strncmp(a, b, n) == 0 && (b[n] == '/' || b[n] == 0));
}

/* Does dir hold sub (a glob: lib/python3.*)? */
static bool holds_dir(const char *dir, const char *pattern)
{
    char pat[PATH_MAX + 32];
    glob_t g;
    snprintf(pat, sizeof(pat), "%s/%s", dir, pattern);
    bool found = glob(pat, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    return found;
}

/* What of a mapped interpreter's installation the sandboxes show: its prefix (bin's parent)
 * when that holds its library (lib/python3.x, lib/node_modules), else its own directory; none
 * under /usr, shown already. Never $HOME, /, or a directory holding the server's own data
 * directory or secret. @return 0, or -1 with a message in err. */
static int map_prefix(rt_t *r, const char *data_dir, const char *const *hidden, size_t n_hidden,
                      char *err, size_t cap)
{
    char pre[PATH_MAX], real[PATH_MAX];
    snprintf(pre, sizeof(pre), "%s", r->map);
    char *slash = strrchr(pre, '/');
    if (slash == NULL)
        return 0;
    if (slash == pre) /* the interpreter's own directory */
        pre[1] = 0;
    else
        *slash = 0;
    char up[PATH_MAX];
    snprintf(up, sizeof(up), "%s", pre);
    slash = strrchr(up, '/');
    if (slash && slash != up) {
        *slash = 0;
        if (holds_dir(up, r->py ? "lib/python3.*" : "lib/node_modules"))
            snprintf(pre, sizeof(pre), "%s", up);
    }
    if (strcmp(pre, "/usr/bin") == 0 || strcmp(pre, "/bin") == 0 || covers("/usr", pre))
        return 0;
    const char *why = NULL;
    const char *home = getenv("HOME");
    if (strcmp(pre, "/") == 0)
        why = "/";
    else if (home && realpath(home, real) && covers(pre, real))
        why = "$HOME";
    else if (data_dir && realpath(data_dir, real) && covers(pre, real))
        why = "the data directory";
    for (size_t i = 0; !why && i < n_hidden; i++)
        if (hidden[i] && realpath(hidden[i], real) && covers(pre, real))
            why = "the secret key file";
    if (why) {
        snprintf(err, cap,
                 "--runtime %s: the sandboxes would show %s, which holds %s: install the "
                 "interpreter in a directory of its own",
                 r->name, pre, why);
        return -1;
    }
    snprintf(r->prefix, sizeof(r->prefix), "%s", pre);
    return 0;
}

int srv_fn_runtimes_configure(const char *sdk, const char *const *maps, size_t n_maps,
                              const char *data_dir, const char *const *hidden, size_t n_hidden,
                              char *err, size_t cap)
{
    if (sdk) {
        snprintf(node_sdk, sizeof(node_sdk), "%s", sdk);
        node_sdk_set = true;
    }
    for (size_t i = 0; i < n_maps; i++) {
        const char *eq = strchr(maps[i], '=');
        char name[32];
        size_t len = eq ? (size_t)(eq - maps[i]) : 0;
        if (len == 0 || len >= sizeof(name) || eq[1] == 0) {
            snprintf(err, cap, "--runtime expects NAME=PATH, got '%s'", maps[i]);
            return -1;
        }
        memcpy(name, maps[i], len);
        name[len] = 0;
        rt_t *r = rt_find(name);
        if (r == NULL) {
            snprintf(err, cap, "--runtime: %s is not a python3.x or nodejs*.x runtime", name);
            return -1;
        }
        if (realpath(eq + 1, r->map) == NULL || access(r->map, X_OK) != 0) {
            snprintf(err, cap, "--runtime %s: %s is not an executable", name, eq + 1);
            return -1;
        }
        if (map_prefix(r, data_dir, hidden, n_hidden, err, cap) < 0)
            return -1;
    }
    return 0;
}

/* Run "prog --version" (bounded: 3 s) and parse the first "X.Y[.Z]" it prints. */
static bool probe(const char *prog, bool py, interp_t *out)
{
    int p[2];
    if (pipe(p) < 0)
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char arg0[PATH_MAX], arg1[] = "--version";
    snprintf(arg0, sizeof(arg0), "%s", prog);
    char *argv[] = {arg0, arg1, NULL};
    pid_t pid;
    char env0[] = "PATH=/usr/local/bin:/usr/bin:/bin", env1[] = "LANG=C.UTF-8";
    char *envp[] = {env0, env1, NULL}; /* not the server's (its secret may be there) */
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    char buf[128];
    size_t n = 0;
    while (rc == 0 && n < sizeof(buf) - 1) {
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        if (poll(&pf, 1, 3000) <= 0)
            break;
        ssize_t r = read(p[0], buf + n, sizeof(buf) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(p[0]);
    buf[n] = 0;
    if (rc == 0) {
        kill(pid, SIGKILL); /* it has answered, or it never will */
        waitpid(pid, NULL, 0);
    }
    const char *v = buf;
    while (*v && (*v < '0' || *v > '9'))
        v++;
    int major = 0, minor = 0;
    if (rc != 0 || sscanf(v, "%d.%d", &major, &minor) != 2 || (py && major != 3))
        return false;
    size_t vl = strspn(v, "0123456789.");
    snprintf(out->version, sizeof(out->version), "%.*s", (int)(vl < 31 ? vl : 31), v);
    snprintf(out->path, sizeof(out->path), "%s", prog);
    out->py = py;
    out->major = major;
    out->minor = minor;
    return true;
}

/* Probe prog once (same file: same interpreter). */
static const interp_t *add_interp(const char *prog, bool py)
{
    char real[PATH_MAX];
    if (realpath(prog, real) == NULL)
        return NULL;
    for (size_t i = 0; i < n_interps; i++)
        if (strcmp(interps[i].path, real) == 0)
            return &interps[i];
    if (n_interps == INTERPS_MAX || !probe(real, py, &interps[n_interps]))
        return NULL;
    return &interps[n_interps++];
}

static bool same_version(const rt_t *r, const interp_t *ip)
{
    return ip->py == r->py && (r->py ? ip->minor == r->minor : ip->major == r->major);
}

/* A mapped interpreter's installation (checked by map_prefix), for the sandbox to show
 * read-only. */
static void add_prefix(srv_fn_t *f, const rt_t *r)
{
    if (!r->prefix[0])
        return;
    for (int i = 0; i < f->n_extra_ro; i++)
        if (strcmp(f->extra_ro[i], r->prefix) == 0)
            return;
    if (f->n_extra_ro < (int)(sizeof(f->extra_ro) / sizeof(f->extra_ro[0]))) {
        snprintf(f->extra_ro[f->n_extra_ro++], sizeof(f->extra_ro[0]), "%s", r->prefix);
        KV_LOG_INFO("lambda: --runtime %s: sandboxes show %s read-only", r->name, r->prefix);
    }
}

static void find_interpreters(srv_fn_t *f)
{
    char path[PATH_MAX], name[32];
    for (int minor = 6; minor <= 20; minor++) {
        snprintf(name, sizeof(name), "python3.%d", minor);
        if (srv_fn_proc_find_program(name, path, sizeof(path)))
            add_interp(path, true);
    }
    if (srv_fn_proc_find_program("python3", path, sizeof(path)))
        add_interp(path, true);
    if (srv_fn_proc_find_program("node", path, sizeof(path)) ||
        srv_fn_proc_find_program("nodejs", path, sizeof(path)))
        add_interp(path, false);
    for (size_t i = 0; i < N_RTS; i++) {
        rt_t *r = &rts[i];
        r->ip = NULL;
        r->warning[0] = r->why[0] = 0;
        if (r->map[0]) {
            r->ip = add_interp(r->map, r->py);
            if (r->ip == NULL)
                KV_LOG_WARN("lambda: --runtime %s=%s does not answer --version as %s does", r->name,
                            r->map, r->py ? "Python 3" : "Node.js");
            else
                add_prefix(f, r);
            if (r->ip && !same_version(r, r->ip)) /* the operator's choice: said once here */
                KV_LOG_WARN("lambda: --runtime %s runs %s %s", r->name,
                            r->py ? "Python" : "Node.js", r->ip->version);
        }
        /* Its own version, else the nearest (the newer of two as near). */
        int best = -1;
        const interp_t *pick = NULL;
        for (size_t j = 0; r->ip == NULL && j < n_interps; j++) {
            if (interps[j].py != r->py)
                continue;
            int d = r->py ? interps[j].minor - r->minor : interps[j].major - r->major;
            int score = (d < 0 ? -d : d) * 2 + (d < 0);
            if (best < 0 || score < best) {
                best = score;
                pick = &interps[j];
            }
        }
        if (r->ip == NULL)
            r->ip = pick;
        if (r->ip == NULL)
            snprintf(r->why, sizeof(r->why),
                     "Runtime %s cannot run on this server: it has no %s interpreter. Map one "
                     "with stratusd --runtime %s=PATH",
                     r->name, r->py ? "Python 3" : "Node.js", r->name);
        else if (!r->map[0] && !same_version(r, r->ip))
            snprintf(r->warning, sizeof(r->warning),
                     "WARNING: %s runs on %s %s here; map one with --runtime %s=PATH", r->name,
                     r->py ? "Python" : "Node.js", r->ip->version, r->name);
    }
    for (size_t j = 0; j < n_interps; j++)
        KV_LOG_INFO("lambda: %s %s at %s", interps[j].py ? "Python" : "Node.js", interps[j].version,
                    interps[j].path);
}

/* The Node SDK: the flag's directory (or its node_modules), else the source tree's. */
static void find_node_sdk(srv_fn_t *f)
{
#ifdef KV_NODE_SDK_DIR
    const char *dflt = KV_NODE_SDK_DIR;
#else
    const char *dflt = "";
#endif
    const char *dir = node_sdk_set ? node_sdk : dflt;
    char try[PATH_MAX + 32];
    struct stat st;
    f->sdk_dir[0] = 0;
    for (int i = 0; dir[0] && i < 2 && !f->sdk_dir[0]; i++) {
        snprintf(try, sizeof(try),
                 i == 0 ? "%s/@aws-sdk/client-dynamodb"
                        : "%s/node_modules/@aws-sdk/client-dynamodb",
                 dir);
        if (stat(try, &st) == 0 && S_ISDIR(st.st_mode)) {
            *strstr(try, "/@aws-sdk/client-dynamodb") = 0;
            if (realpath(try, f->sdk_dir) == NULL)
                f->sdk_dir[0] = 0;
        }
    }
    if (f->sdk_dir[0])
        KV_LOG_INFO("lambda: nodejs runtimes provide the AWS SDK v3 of %s", f->sdk_dir);
    else if (node_sdk_set || dflt[0])
        KV_LOG_WARN("lambda: no AWS SDK for JavaScript v3 in %s (make deps installs it): Node.js "
                    "functions run without the runtime's SDK",
                    dir[0] ? dir : "(none)");
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fchmod(fileno(f), 0644); /* read by instances' own uids (the server's umask is 077) */
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int srv_fn_runtimes_init(srv_fn_t *f)
{
    static const struct {
        const char *name, *text;
    } files[] = {
        {"python_bootstrap.py", PYTHON},     {"node_bootstrap.js", NODE},
        {"sitecustomize.py", SITECUSTOMIZE}, {"sdk_endpoints.js", SDK_ENDPOINTS},
        {"esm_resolve.mjs", ESM_RESOLVE},
    };
    char path[4400];
    snprintf(path, sizeof(path), "%s/runtimes", f->dir);
    if ((mkdir(path, 0755) < 0 && errno != EEXIST) || chmod(path, 0755) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/runtimes/node_modules", f->dir); /* the SDK's mount point */
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/runtimes/%s", f->dir, files[i].name);
        if (write_file(path, files[i].text) < 0)
            return -1;
    }
    find_interpreters(f);
    find_node_sdk(f);
    /* Code is unpacked in <dir>/run/<code id>: a node_modules in <dir> is found by the code's
     * own resolution (require and import alike) after its own node_modules, so that ES modules
     * find the SDK without a loader hook (whose worker thread costs a cold start tens of ms). */
    snprintf(path, sizeof(path), "%s/node_modules", f->dir);
    unlink(path);
    if (f->sdk_dir[0] && symlink(f->sdk_dir, path) < 0)
        KV_LOG_WARN("lambda: cannot link %s to the SDK: %s", path, strerror(errno));
    return 0;
}

const char *srv_fn_runtime_program(const char *runtime, const char **warning)
{
    const rt_t *r = rt_find(runtime);
    *warning = NULL;
    if (r == NULL || r->ip == NULL)
        return NULL;
    if (r->warning[0])
        *warning = r->warning;
    return r->ip->path;
}

const char *srv_fn_runtime_unavailable(const char *runtime)
{
    const rt_t *r = rt_find(runtime);
    return r && r->ip == NULL ? r->why : NULL;
}

size_t srv_fn_runtime_env(const srv_fn_t *f, const api_invocation_t *inv, const char *root,
                          const char *host_opt, char **envp)
{
    char b[16384];
    const rt_t *r = rt_find(inv->runtime);
    if (r == NULL)
        return 0;
    if (host_opt == NULL) { /* the sandbox's paths: the SDK is /var/runtime/node_modules there */
        if (r->py)
            snprintf(b, sizeof(b), "PYTHONPATH=/var/runtime");
        else
            snprintf(b, sizeof(b),
                     "NODE_PATH=/opt/nodejs/node%d/node_modules:/opt/nodejs/node_modules:"
                     "/var/runtime/node_modules:/var/runtime:/var/task",
                     r->major);
    } else if (r->py) {
        snprintf(b, sizeof(b), "PYTHONPATH=%s/runtimes", f->dir);
        envp[1] = kv_strdup(b);
        snprintf(b, sizeof(b), "STRATUS_OPT_DIR=%s", host_opt); /* the bootstrap's /opt */
    } else {
        /* Lambda's: layers (versioned, then not), the runtime's SDK, the runtime, the code. */
        int n = snprintf(b, sizeof(b),
                         "NODE_PATH=%s/nodejs/node%d/node_modules:"
                         "%s/nodejs/node_modules:",
                         host_opt, r->major, host_opt);
        if (f->sdk_dir[0])
            n += snprintf(b + n, sizeof(b) - (size_t)n, "%s:", f->sdk_dir);
        snprintf(b + n, sizeof(b) - (size_t)n, "%s/runtimes:%s", f->dir, root);
    }
    envp[0] = kv_strdup(b);
    return envp[1] ? 2 : 1;
}
