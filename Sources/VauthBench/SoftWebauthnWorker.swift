#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// soft-webauthn (PyPI; pure Python on pyca/cryptography), run as a child Python process that
/// times its own slices when told to, so that it takes its turn in the same alternating slices
/// as vauth's operations: each slice, this process sends `get 0.05` and waits (asleep on the
/// pipe, using no CPU) while the worker runs soft-webauthn for 0.05 s and answers with its count
/// and elapsed time.
///
/// The operations, ES256 with `none` attestation as soft-webauthn supports:
/// - `get` / `create`: `SoftWebauthnDevice.get` / `.create` as its users call them, options as a
///   Python dict with bytes, the response a dict with bytes (no JSON on either side);
/// - `getJSON` / `createJSON`: the same job as vauth's JSON client: the options JSON text parsed
///   (`json.loads`, base64url decoded) and the response written as JSON text (base64url,
///   `json.dumps`).
final class SoftWebauthnWorker {
    let pid: pid_t
    private let requests: UnsafeMutablePointer<FILE>
    private let answers: UnsafeMutablePointer<FILE>
    /// `soft_webauthn.__version__`-like identification of what ran.
    let version: String

    static let script = #"""
import base64, json, sys, time
try:
    from importlib.metadata import version
    from soft_webauthn import SoftWebauthnDevice
except Exception as error:
    print("error " + repr(error), flush=True)
    sys.exit(0)

def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

ORIGIN = "https://bench.example"
CREATE = {"publicKey": {
    "rp": {"id": "bench.example", "name": "Bench"}, "user": {"id": b"\x01\x02\x03\x04", "name": "bench", "displayName": "Bench"},
    "challenge": b"\x00" * 16, "pubKeyCredParams": [{"alg": -7, "type": "public-key"}], "attestation": "none"}}
GET = {"publicKey": {"rpId": "bench.example", "challenge": b"\x00" * 16}}
CREATE_JSON = json.dumps({"rp": {"id": "bench.example", "name": "Bench"},
                          "user": {"id": "AQIDBA", "name": "bench", "displayName": "Bench"},
                          "challenge": "AAAAAAAAAAAAAAAAAAAAAA", "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
                          "attestation": "none"})
GET_JSON = json.dumps({"challenge": "AAAAAAAAAAAAAAAAAAAAAA", "rpId": "bench.example"})

device = SoftWebauthnDevice()
device.create(CREATE, ORIGIN)

def get():
    device.get(GET, ORIGIN)

def create():
    SoftWebauthnDevice().create(CREATE, ORIGIN)

def get_json():
    options = json.loads(GET_JSON)
    options["challenge"] = unb64u(options["challenge"])
    result = device.get({"publicKey": options}, ORIGIN)
    response = result["response"]
    json.dumps({"id": b64u(result["rawId"]), "rawId": b64u(result["rawId"]), "type": "public-key",
                "response": {"authenticatorData": b64u(response["authenticatorData"]),
                             "clientDataJSON": b64u(response["clientDataJSON"]), "signature": b64u(response["signature"])}})

def create_json():
    options = json.loads(CREATE_JSON)
    options["challenge"] = unb64u(options["challenge"])
    options["user"]["id"] = unb64u(options["user"]["id"])
    result = SoftWebauthnDevice().create({"publicKey": options}, ORIGIN)
    response = result["response"]
    json.dumps({"id": b64u(result["rawId"]), "rawId": b64u(result["rawId"]), "type": "public-key",
                "response": {"clientDataJSON": b64u(response["clientDataJSON"]),
                             "attestationObject": b64u(response["attestationObject"])}})

OPERATIONS = {"get": get, "create": create, "getJSON": get_json, "createJSON": create_json}
print("ready soft-webauthn " + version("soft-webauthn") + ", Python " + sys.version.split()[0], flush=True)
for line in sys.stdin:
    name, seconds = line.split()
    body, seconds = OPERATIONS[name], float(seconds)
    # CPU seconds of this thread, as vauth's side counts its own (Measure.threadCPU).
    count, start = 0, time.thread_time()
    while True:
        body()
        count += 1
        elapsed = time.thread_time() - start
        if elapsed >= seconds:
            break
    print(count, elapsed, flush=True)
"""#

    /// Starts `python` on the worker script; throws when it cannot import soft-webauthn.
    init(python: String) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw BenchmarkError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let arguments: [String] = [python, "-c", Self.script]
        let argv = arguments.map { strdup($0) } + [nil]
        var environment = ["PATH=/usr/bin:/bin"]
        if let home = getenv("HOME") { environment.append("HOME=" + String(cString: home)) }
        let envp = environment.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, python, &actions, &attributes, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard spawned == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw BenchmarkError("cannot run \(python): \(String(cString: strerror(spawned)))")
        }
        pid = child
        requests = fdopen(toChild[1], "w")
        answers = fdopen(fromChild[0], "r")
        let first = Self.line(answers) ?? "error: the worker ended before it was ready"
        guard first.hasPrefix("ready ") else {
            fclose(requests)
            fclose(answers)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw BenchmarkError("\(python) cannot run soft-webauthn (\(first)); Tests/Interop/bench/compare_soft_webauthn.py makes a venv with it")
        }
        version = String(first.dropFirst("ready ".count))
    }

    deinit {
        fclose(requests)
        fclose(answers)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// The worker's operation `name` as a ``Measure/Operation`` timed by the worker itself.
    func operation(_ name: String, label: String) -> Measure.Operation {
        Measure.Operation(name: label) { [self] seconds in
            fputs("\(name) \(seconds)\n", requests)
            fflush(requests)
            guard let answer = Self.line(answers) else { throw BenchmarkError("the soft-webauthn worker stopped") }
            let fields = answer.split(separator: " ")
            guard fields.count == 2, let count = Int(fields[0]), let elapsed = Double(fields[1]) else {
                throw BenchmarkError("the soft-webauthn worker said \(answer)")
            }
            return (count, elapsed)
        }
    }

    private static func line(_ file: UnsafeMutablePointer<FILE>) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
