/// `UserVerificationRequirement` (L3 §5.8.6). Unknown values are ignored, as the spec tells
/// clients to do for all such DOMString enumerations.
public enum UserVerificationRequirement: String, Sendable, CaseIterable {
    case required
    case preferred
    case discouraged
}

/// `ResidentKeyRequirement` (L3 §5.4.6). Unknown values are ignored.
public enum ResidentKeyRequirement: String, Sendable, CaseIterable {
    case discouraged
    case preferred
    case required
}
