import Foundation
import VauthWebAuthn

/// JSON over HTTPS for the services vauth talks to, without a server framework in the product.
/// Every call is bounded three ways (``CurlTransfer``): the answer's size, the whole call's
/// duration (``ServiceDeadline``), and where it may go: the request's headers carry an API key or
/// a bearer token, so a redirect is followed only when it stays on the endpoint's origin and keeps
/// the method and body (307, 308), as fetch keeps credentials only within the origin; anything else
/// is refused with a line that says where it pointed.
struct HTTPJSONClient: Sendable {
    let service: String
    let endpoint: ServiceEndpoint
    let headers: [String: String]
    let deadline: ServiceDeadline
    let userAgent: String

    /// The most of an answer vauth reads. Challenges and tokens are a few kilobytes; a megabyte is
    /// generous for any of them and keeps a hostile or broken server from growing vauth's memory.
    static let maxAnswerBytes = 1 << 20
    /// Same-origin redirects followed before giving up (fetch allows 20; an API needs one or two).
    static let maxRedirects = 5

    struct Answer {
        let status: Int
        let contentType: String
        let body: [UInt8]
    }

    /// POSTs `body` to `path` and returns the parsed JSON of a 2xx answer. Anything else becomes a
    /// ``ServiceError`` that says what happened: the service's problem details, a transport failure,
    /// or an answer that is not JSON.
    func post(_ path: String, body: JSONValue) async throws(ServiceError) -> JSONValue {
        let answer = try await send(path, body: body)
        let parsed = try? JSONParser.parse(answer.body)
        guard (200..<300).contains(answer.status) else {
            if let parsed, parsed.objectValue != nil {
                // Problem details at the top level (RFC 9457), or inside `error` as Dfns sends them.
                let problem = parsed["error"]?.objectValue != nil ? parsed["error"]! : parsed
                throw .problem(service: service, status: answer.status, title: problem["title"]?.stringValue,
                               code: problem["errorCode"]?.stringValue ?? problem["code"]?.stringValue,
                               detail: problem["detail"]?.stringValue ?? problem["message"]?.stringValue,
                               fields: Self.fieldErrors(problem["errors"]))
            }
            throw .problem(service: service, status: answer.status, title: nil, code: nil, detail: Self.snippet(answer.body), fields: [])
        }
        guard let parsed else {
            throw .notJSON(service: service, status: answer.status, contentType: answer.contentType, snippet: Self.snippet(answer.body))
        }
        return parsed
    }

    private func send(_ path: String, body: JSONValue) async throws(ServiceError) -> Answer {
        var url = endpoint.url(path).absoluteString
        let payload = Array(JSONSerializer.serialize(body, style: .compact).utf8)
        var hops = 0
        while true {
            let answer = try await exchange(url, payload: payload)
            guard (300..<400).contains(answer.status), answer.status != 304 else {
                return Answer(status: answer.status, contentType: answer.contentType ?? "no content type", body: answer.body)
            }
            // A redirect: followed only on the same origin and with method and body kept.
            let location = answer.redirectURL
            func refuse(_ reason: String) -> ServiceError {
                .redirectRefused(service: service, url: url, status: answer.status, location: location, reason: reason)
            }
            guard let location, let target = URL(string: location) else { throw refuse("the Location is missing or not a URL") }
            guard endpoint.isSameOrigin(target) else {
                throw refuse("it leaves \(endpoint.origin), and the request carries credentials for that origin only "
                             + "(set the API URL to the service's real address instead)")
            }
            guard answer.status == 307 || answer.status == 308 else {
                throw refuse("only 307 and 308 keep the POST and its body")
            }
            hops += 1
            guard hops <= Self.maxRedirects else { throw refuse("more than \(Self.maxRedirects) redirects in a row") }
            url = location
        }
    }

    private func exchange(_ url: String, payload: [UInt8]) async throws(ServiceError) -> CurlTransfer.Answer {
        let fields = [("Content-Type", "application/json"), ("Accept", "application/json"), ("User-Agent", userAgent)]
            + headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        switch await CurlTransfer.post(url, headers: fields, body: payload, limit: Self.maxAnswerBytes, deadline: deadline) {
        case .success(let answer):
            return answer
        case .failure(.tooLarge(let declared)):
            throw .answerTooLarge(service: service, url: url, limit: Self.maxAnswerBytes, declared: declared)
        case .failure(.deadline):
            throw .transport(service: service, url: url,
                             reason: "timed out: the calls to \(service) took longer than their \(deadline.text) deadline (--timeout)")
        case .failure(.connectionRefused):
            throw .transport(service: service, url: url, reason: "connection refused")
        case .failure(.hostNotFound(let message)):
            throw .transport(service: service, url: url, reason: "host not found (\(message))")
        case .failure(.tls(let message)):
            throw .transport(service: service, url: url, reason: "TLS failure (\(message))")
        case .failure(.transport(let message)):
            throw .transport(service: service, url: url, reason: message)
        }
    }

    /// RFC 9457 validation problems as ASP.NET writes them: `"errors": {"field": ["message", …]}`.
    static func fieldErrors(_ value: JSONValue?) -> [String] {
        guard let members = value?.objectValue else { return [] }
        return members.map { name, messages in
            let text = messages.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? messages.stringValue ?? ""
            return text.isEmpty ? name : "\(name): \(text)"
        }
    }

    static func snippet(_ data: [UInt8]) -> String {
        let text = String(decoding: data.prefix(80), as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? "empty body" : "\"\(text)\(data.count > 80 ? "…" : "")\""
    }
}
