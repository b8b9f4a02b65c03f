import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VauthWebAuthn

/// JSON over HTTPS with Foundation's URLSession: enough for the services vauth talks to, without
/// a server framework in the product.
struct HTTPJSONClient: Sendable {
    let service: String
    let baseURL: URL
    let headers: [String: String]
    let timeout: TimeInterval
    let userAgent: String

    struct Answer {
        let status: Int
        let contentType: String
        let body: Data
    }

    /// POSTs `body` to `path` and returns the parsed JSON of a 2xx answer. Anything else becomes a
    /// ``ServiceError`` that says what happened: the service's problem details, a transport failure,
    /// or an answer that is not JSON.
    func post(_ path: String, body: JSONValue) async throws(ServiceError) -> JSONValue {
        let answer = try await send(path, body: body)
        let parsed = try? JSONParser.parse([UInt8](answer.body))
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
        let url = baseURL.appendingPathComponent(path.hasPrefix("/") ? String(path.dropFirst()) : path)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(JSONSerializer.serialize(body, style: .compact).utf8)
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch let error as URLError {
            throw .transport(service: service, url: url.absoluteString, reason: Self.reason(error))
        } catch {
            throw .transport(service: service, url: url.absoluteString, reason: "\(error)")
        }
        let http = response as? HTTPURLResponse
        return Answer(status: http?.statusCode ?? 0, contentType: http?.value(forHTTPHeaderField: "Content-Type") ?? "no content type",
                      body: data)
    }

    static func reason(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: return "connection refused"
        case .timedOut: return "timed out"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .notConnectedToInternet, .networkConnectionLost: return "network unavailable"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected, .clientCertificateRequired:
            return "TLS failure (\(error.localizedDescription))"
        default: return error.localizedDescription
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

    static func snippet(_ data: Data) -> String {
        let text = String(decoding: data.prefix(80), as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? "empty body" : "\"\(text)\(data.count > 80 ? "…" : "")\""
    }
}

/// Why a call to a service failed.
public enum ServiceError: Error, Sendable, CustomStringConvertible {
    /// The service answered with an error status (problem details when it sent them).
    case problem(service: String, status: Int, title: String?, code: String?, detail: String?, fields: [String])
    /// The service could not be reached.
    case transport(service: String, url: String, reason: String)
    /// A success status with a body that is not JSON.
    case notJSON(service: String, status: Int, contentType: String, snippet: String)
    /// JSON of the wrong shape.
    case unexpected(service: String, what: String)

    public var description: String {
        switch self {
        case .problem(let service, let status, let title, let code, let detail, let fields):
            var text = "\(service) refused (HTTP \(status))"
            if let title { text += ": \(title)" }
            if let code { text += " [errorCode \(code)]" }
            if title == nil, let detail { text += ": \(detail)" }
            if !fields.isEmpty { text += " (" + fields.joined(separator: "; ") + ")" }
            return text
        case .transport(let service, let url, let reason):
            return "cannot reach \(service) at \(url): \(reason)"
        case .notJSON(let service, let status, let contentType, let snippet):
            return "\(service) answered HTTP \(status) with \(contentType), not JSON: \(snippet)"
        case .unexpected(let service, let what):
            return "\(service) answered with unexpected JSON: \(what)"
        }
    }
}
