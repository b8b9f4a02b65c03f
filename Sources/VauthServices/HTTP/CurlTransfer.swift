import CLibCurl
import Dispatch
import Foundation

/// One HTTP POST through libcurl's easy interface, owning its handle, header list and error
/// buffer. libcurl, rather than URLSession, because the three limits the services need are
/// libcurl's own, exact, and enforced on the thread that receives the bytes:
/// - **the answer's size**: `CURLOPT_MAXFILESIZE_LARGE` refuses a Content-Length over the bound
///   before any body arrives, and the write callback stops the transfer at the first byte past it
///   (chunked or close-delimited bodies). URLSession on Linux queues received data for its
///   delegate without back-pressure: a fast server's 100 MB sat in that queue before the delegate
///   could say stop.
/// - **the deadline**: `CURLOPT_TIMEOUT_MS` bounds the whole transfer (resolving, connecting,
///   TLS, headers, body), however slowly the server trickles; URLSession's timeout is idle time.
/// - **no redirects**: libcurl never follows one unless told (`CURLOPT_FOLLOWLOCATION` is off);
///   the 3xx and its absolute target come back for ``HTTPJSONClient`` to judge.
/// It also sends no `Accept-Encoding`, so the body is the bytes on the wire: nothing inflates a
/// small compressed answer into a large one.
final class CurlTransfer: @unchecked Sendable {
    struct Answer {
        let status: Int
        let contentType: String?
        /// The absolute URL a 3xx points to (libcurl resolves a relative Location), if any.
        let redirectURL: String?
        let body: [UInt8]
    }

    enum Failure: Error {
        case tooLarge(declared: Int64?)
        case deadline
        case connectionRefused
        case hostNotFound(String)
        /// The TLS handshake or the certificate check failed; libcurl's message.
        case tls(String)
        /// Anything else, in libcurl's words.
        case transport(String)
    }

    /// The CURLE_SSL_* codes and the peer-verification ones.
    private static let tlsCodes: Set<UInt32> = Set([CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ENGINE_NOTFOUND,
        CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CACERT_BADFILE,
        CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
        CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT].map(\.rawValue))

    private static let initialised: Bool = vauth_curl_global_init() == CURLE_OK

    private let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let limit: Int
    private var body: [UInt8] = []
    private var overflowed = false
    /// The last Content-Length header of the answer, for the message when it is over the bound.
    private var declaredLength: Int64?

    private init?(limit: Int) {
        guard Self.initialised, let easy = curl_easy_init() else { return nil }
        self.easy = easy
        self.limit = limit
        let size = Int(vauth_curl_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// POSTs `body` to `url` with `headers` and waits (on a thread of its own: libcurl blocks) for
    /// the answer, its first `limit` bytes at most, until `deadline`.
    static func post(_ url: String, headers: [(String, String)], body: [UInt8], limit: Int,
                     deadline: ServiceDeadline) async -> Result<Answer, Failure> {
        let remaining = deadline.remaining
        guard remaining > 0 else { return .failure(.deadline) }
        guard let transfer = CurlTransfer(limit: limit) else {
            return .failure(.transport("libcurl could not start a transfer"))
        }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: transfer.perform(url, headers: headers, body: body,
                                                                milliseconds: max(1, Int(remaining * 1000))))
            }
        }
    }

    private func perform(_ url: String, headers: [(String, String)], body payload: [UInt8], milliseconds: Int) -> Result<Answer, Failure> {
        for (name, value) in headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        // libcurl adds `Expect: 100-continue` to larger POSTs and then waits for a 100 that many
        // servers never send; the body goes at once instead.
        headerList = curl_slist_append(headerList, "Expect:")
        let unmanaged = Unmanaged.passUnretained(self).toOpaque()
        var setup = [
            vauth_curl_set_string(easy, CURLOPT_URL, url),
            vauth_curl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"),
            vauth_curl_set_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer),
            vauth_curl_set_long(easy, CURLOPT_NOSIGNAL, 1),
            vauth_curl_set_long(easy, CURLOPT_FOLLOWLOCATION, 0),
            vauth_curl_set_long(easy, CURLOPT_TIMEOUT_MS, milliseconds),
            vauth_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds),
            vauth_curl_set_offset(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit)),
            vauth_curl_set_pointer(easy, CURLOPT_HTTPHEADER, headerList),
            vauth_curl_set_long(easy, CURLOPT_POST, 1),
            vauth_curl_set_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(payload.count)),
        ]
        // COPYPOSTFIELDS copies the POSTFIELDSIZE bytes set just before, so `payload` need not outlive this call.
        setup.append(payload.withUnsafeBytes { vauth_curl_set_pointer(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) })
        setup.append(vauth_curl_set_pointer(easy, CURLOPT_WRITEDATA, unmanaged))
        setup.append(vauth_curl_set_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.receive(data, size * count)
        })
        setup.append(vauth_curl_set_pointer(easy, CURLOPT_HEADERDATA, unmanaged))
        setup.append(vauth_curl_set_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.header(data, size * count)
        })
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            return .failure(.transport(String(cString: curl_easy_strerror(failed))))
        }
        let code = curl_easy_perform(easy)
        switch code {
        case CURLE_OK:
            var status = 0
            _ = vauth_curl_get_long(easy, CURLINFO_RESPONSE_CODE, &status)
            return .success(Answer(status: status, contentType: string(CURLINFO_CONTENT_TYPE),
                                   redirectURL: string(CURLINFO_REDIRECT_URL), body: body))
        case CURLE_FILESIZE_EXCEEDED:
            return .failure(.tooLarge(declared: declaredLength))
        case CURLE_WRITE_ERROR where overflowed:
            return .failure(.tooLarge(declared: nil))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.deadline)
        default:
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            var osError = 0
            _ = vauth_curl_get_long(easy, CURLINFO_OS_ERRNO, &osError)
            if code == CURLE_COULDNT_CONNECT, osError == Int(ECONNREFUSED) { return .failure(.connectionRefused) }
            if code == CURLE_COULDNT_RESOLVE_HOST { return .failure(.hostNotFound(message)) }
            if Self.tlsCodes.contains(code.rawValue) { return .failure(.tls(message)) }
            return .failure(.transport(message))
        }
    }

    /// The write callback: keep the bytes while they fit; one past the bound stops the transfer
    /// (returning less than was given makes libcurl fail with CURLE_WRITE_ERROR).
    private func receive(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return 0 }
        guard body.count + count <= limit else {
            overflowed = true
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: count) { body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count)) }
        return count
    }

    /// The header callback, one header line at a time (libcurl bounds each line and their total):
    /// only Content-Length is kept.
    private func header(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return count }
        let line = data.withMemoryRebound(to: UInt8.self, capacity: count) { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) }
        if line.lowercased().hasPrefix("content-length:") {
            declaredLength = Int64(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return count
    }

    private func string(_ info: CURLINFO) -> String? {
        var pointer: UnsafePointer<CChar>?
        guard vauth_curl_get_string(easy, info, &pointer) == CURLE_OK, let pointer else { return nil }
        return String(cString: pointer)
    }
}
