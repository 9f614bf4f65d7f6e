/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_fn_runtimes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* python3.x: import the handler's module from the task root, then serve invocations. */
static const char PYTHON[] =
    "import importlib, json, os, sys, time, traceback, urllib.request\n"
    "API = 'http://%s/2018-06-01/runtime' % os.environ['AWS_LAMBDA_RUNTIME_API']\n"
    "sys.path.insert(0, os.environ.get('LAMBDA_TASK_ROOT', os.getcwd()))\n"
    "def post(path, body, error_type=None):\n"
    "    headers = {'Content-Type': 'application/json'}\n"
    "    if error_type:\n"
    "        headers['Lambda-Runtime-Function-Error-Type'] = error_type\n"
    "    req = urllib.request.Request(API + path, data=body, headers=headers, method='POST')\n"
    "    urllib.request.urlopen(req).read()\n"
    "def error_doc(e, kind=None):\n"
    "    return json.dumps({'errorMessage': str(e), 'errorType': kind or type(e).__name__,\n"
    "                       'stackTrace': traceback.format_tb(e.__traceback__)}).encode()\n"
    "class Context:\n"
    "    def __init__(self, rid, deadline, arn):\n"
    "        self.aws_request_id = rid\n"
    "        self.invoked_function_arn = arn\n"
    "        self.function_name = os.environ.get('AWS_LAMBDA_FUNCTION_NAME')\n"
    "        self.function_version = os.environ.get('AWS_LAMBDA_FUNCTION_VERSION')\n"
    "        self.memory_limit_in_mb = os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')\n"
    "        self.log_group_name = os.environ.get('AWS_LAMBDA_LOG_GROUP_NAME')\n"
    "        self.log_stream_name = os.environ.get('AWS_LAMBDA_LOG_STREAM_NAME')\n"
    "        self._deadline = deadline\n"
    "    def get_remaining_time_in_millis(self):\n"
    "        return max(0, self._deadline - int(time.time() * 1000))\n"
    "try:\n"
    "    module, name = os.environ['_HANDLER'].rsplit('.', 1)\n"
    "    handler = getattr(importlib.import_module(module.replace('/', '.')), name)\n"
    "except Exception as e:\n"
    "    kind = 'Runtime.ImportModuleError' if isinstance(e, ImportError) else "
    "'Runtime.HandlerNotFound'\n"
    "    post('/init/error', error_doc(e, kind), kind)\n"
    "    sys.exit(1)\n"
    "while True:\n"
    "    with urllib.request.urlopen(API + '/invocation/next') as r:\n"
    "        rid = r.headers['Lambda-Runtime-Aws-Request-Id']\n"
    "        ctx = Context(rid, int(r.headers['Lambda-Runtime-Deadline-Ms']),\n"
    "                      r.headers['Lambda-Runtime-Invoked-Function-Arn'])\n"
    "        raw = r.read()\n"
    "    try:\n"
    "        event = json.loads(raw) if raw else None\n"
    "        out = json.dumps(handler(event, ctx)).encode()\n"
    "    except Exception as e:\n"
    "        post('/invocation/%s/error' % rid, error_doc(e), 'Unhandled')\n"
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
    "const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');\n"
    "const base = '/2018-06-01/runtime';\n"
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
    "      mod = esmPackage(dir, root) ? await import(pathToFileURL(file + '.js').href) : "
    "require(file + '.js');\n"
    "    else if (fs.existsSync(file + '.mjs')) mod = await import(pathToFileURL(file + "
    "'.mjs').href);\n"
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
    "    await call('POST', '/init/error', errorDoc(e, type), { "
    "'Lambda-Runtime-Function-Error-Type': type });\n"
    "    process.exit(1);\n"
    "  }\n"
    "  for (;;) {\n"
    "    const next = await call('GET', '/invocation/next');\n"
    "    const rid = next.headers['lambda-runtime-aws-request-id'];\n"
    "    const deadline = Number(next.headers['lambda-runtime-deadline-ms']);\n"
    "    const context = { awsRequestId: rid, invokedFunctionArn: "
    "next.headers['lambda-runtime-invoked-function-arn'],\n"
    "      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: "
    "process.env.AWS_LAMBDA_FUNCTION_VERSION,\n"
    "      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, logGroupName: "
    "process.env.AWS_LAMBDA_LOG_GROUP_NAME,\n"
    "      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,\n"
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
    "      await call('POST', '/invocation/' + rid + '/error', errorDoc(e), { "
    "'Lambda-Runtime-Function-Error-Type': 'Unhandled' });\n"
    "    }\n"
    "  }\n"
    "}\n"
    "main();\n";

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int srv_fn_write_runtimes(const char *dir)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/runtimes", dir);
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof(path), "%s/runtimes/python_bootstrap.py", dir);
    if (write_file(path, PYTHON) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/runtimes/node_bootstrap.js", dir);
    return write_file(path, NODE);
}
