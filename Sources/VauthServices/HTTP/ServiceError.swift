/// Why a call to a service failed.
public enum ServiceError: Error, Sendable, CustomStringConvertible {
    /// The service answered with an error status (problem details when it sent them).
    case problem(service: String, status: Int, title: String?, code: String?, detail: String?, fields: [String])
    /// The service could not be reached, or did not answer in time.
    case transport(service: String, url: String, reason: String)
    /// A success status with a body that is not JSON.
    case notJSON(service: String, status: Int, contentType: String, snippet: String)
    /// JSON of the wrong shape.
    case unexpected(service: String, what: String)
    /// An answer longer than vauth reads (``HTTPJSONClient/maxAnswerBytes``); `declared` is the
    /// Content-Length when the server announced one.
    case answerTooLarge(service: String, url: String, limit: Int, declared: Int64?)
    /// A redirect vauth does not follow: to another origin (the credentials would go there), one
    /// that would turn the POST into a GET, or one too many.
    case redirectRefused(service: String, url: String, status: Int, location: String?, reason: String)

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
        case .answerTooLarge(let service, let url, let limit, let declared):
            let size = declared.map { "a body of \($0) bytes" } ?? "a body of more than \(limit) bytes"
            return "\(service) at \(url) answered with \(size); vauth reads at most \(limit) bytes of an answer"
        case .redirectRefused(let service, let url, let status, let location, let reason):
            return "\(service) at \(url) answered HTTP \(status), a redirect to \(location ?? "nowhere (no Location)"), "
                + "which vauth does not follow: \(reason)"
        }
    }
}
