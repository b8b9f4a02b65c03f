// swift-tools-version:6.0
// vauth: a virtual FIDO2/WebAuthn authenticator. The target graph is the layering:
// C shims → CBOR → Crypto → Authenticator (CTAP2) + Keystore → WebAuthn client → Services → CLI.
// A target may only import the ones above it, so the compiler enforces the direction.
import PackageDescription

let package = Package(
    name: "vauth",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vauth", targets: ["vauth"]),
        .executable(name: "vauth-services", targets: ["vauth-services"]),
        .library(name: "VauthAuthenticator", targets: ["VauthAuthenticator"]),
        .library(name: "VauthWebAuthn", targets: ["VauthWebAuthn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only VauthBridge (and so the CLI) uses NIO: its WebSocket client speaks the DevTools Protocol.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // System libraries. The shims hold what Swift cannot import (macros, inline functions).
        .systemLibrary(name: "CLibCBOR", path: "Sources/CLibCBOR", pkgConfig: "libcbor",
                       providers: [.apt(["libcbor-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // Hosts and RP IDs: UTS #46 / IDNA2008 through libidn2, registrable domains through libpsl.
        .systemLibrary(name: "CLibIDN2", path: "Sources/CLibIDN2", pkgConfig: "libidn2",
                       providers: [.apt(["libidn2-dev"])]),
        .systemLibrary(name: "CLibPSL", path: "Sources/CLibPSL", pkgConfig: "libpsl",
                       providers: [.apt(["libpsl-dev"])]),

        // HTTP for the services: libcurl's easy interface (VauthServices' CurlTransfer), for its exact
        // limits on answer size, total time and redirects.
        .systemLibrary(name: "CLibCurl", path: "Sources/CLibCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        // prctl(2) wrappers (variadic in C) for keeping secrets out of core dumps.
        .systemLibrary(name: "CProcessControl", path: "Sources/CProcessControl"),

        .target(name: "VauthCBOR", dependencies: ["CLibCBOR"]),
        .target(name: "VauthCrypto", dependencies: ["COpenSSL", "CProcessControl", "VauthCBOR"]),
        .target(name: "VauthAuthenticator", dependencies: ["VauthCBOR", "VauthCrypto"]),
        .target(name: "VauthKeystore", dependencies: ["VauthCBOR", "VauthCrypto", "VauthAuthenticator"],
                exclude: ["FORMAT.md"]),
        // CTAPHID (CTAP 2.2 §11.2) framing and channels as pure types, and a UDP carrier.
        .target(name: "VauthTransport", dependencies: ["VauthAuthenticator", "VauthCBOR"]),
        .target(name: "VauthWebAuthn", dependencies: ["CLibIDN2", "CLibPSL", "VauthCBOR", "VauthCrypto", "VauthAuthenticator"]),
        .target(name: "VauthServices", dependencies: ["CLibCurl", "VauthWebAuthn", "VauthAuthenticator", "VauthCrypto"]),
        .target(name: "VauthTransfer", dependencies: ["VauthWebAuthn", "VauthAuthenticator", "VauthCrypto"]),
        // The relying party `vauth demo` runs against, in process.
        .target(name: "VauthRelyingParty", dependencies: ["VauthWebAuthn", "VauthAuthenticator", "VauthCrypto", "VauthCBOR"]),
        // Deterministic WebAuthn test vectors (`vauth fixtures`): the real authenticator and client
        // driven by a seeded DRBG, plus the negative vectors an RP must refuse.
        .target(name: "VauthFixtures", dependencies: ["VauthWebAuthn", "VauthAuthenticator", "VauthCrypto", "VauthCBOR"]),
        // `vauth attach`: answers a real Chromium page's navigator.credentials through the DevTools Protocol.
        .target(name: "VauthBridge", dependencies: [
            "VauthWebAuthn", "VauthAuthenticator", "VauthCrypto",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
        .target(name: "VauthBench", dependencies: ["COpenSSL", "VauthKeystore", "VauthAuthenticator", "VauthCrypto", "VauthCBOR", "VauthWebAuthn"]),
        // The CLI. VauthCLI holds what both executables share: the command catalogue (names,
        // abstracts, discussions, which executable runs each), options, failure reporting,
        // terminal output and the offline commands. `vauth` runs those in process; for the
        // networked ones (register, signin, dfns, attach, serve), help and completions it execs
        // `vauth-services`, the whole tree. Only the second links VauthServices, VauthBridge and
        // VauthTransport, and so Foundation, libcurl and its forty-odd
        // libraries, and swift-nio, whose loading otherwise took half of every `vauth get`.
        .target(name: "VauthCLI", dependencies: [
            "VauthCBOR", "VauthCrypto", "VauthAuthenticator", "VauthKeystore", "VauthWebAuthn", "VauthTransfer", "VauthBench",
            "VauthFixtures", "VauthRelyingParty",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "vauth", dependencies: [
            "VauthCLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "vauth-services", dependencies: [
            "VauthCLI", "VauthCBOR", "VauthCrypto", "VauthAuthenticator", "VauthKeystore", "VauthWebAuthn", "VauthServices", "VauthBridge",
            "VauthTransport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "VauthCBORTests", dependencies: ["VauthCBOR"]),
        .testTarget(name: "VauthCryptoTests", dependencies: ["VauthCrypto", "VauthCBOR"]),
        .testTarget(name: "VauthAuthenticatorTests", dependencies: ["VauthAuthenticator", "VauthCrypto", "VauthCBOR"]),
        .testTarget(name: "VauthKeystoreTests", dependencies: ["VauthKeystore", "VauthAuthenticator", "VauthCrypto", "VauthCBOR", "keystore-stress"],
                    exclude: ["Fixtures"]),
        // A child process for the keystore's crash and concurrency tests (killed mid-write, or run eight at once).
        .executableTarget(name: "keystore-stress", dependencies: ["VauthKeystore", "VauthAuthenticator", "VauthCrypto"],
                          path: "Tests/KeystoreStress"),
        .testTarget(name: "VauthRelyingPartyTests", dependencies: ["VauthRelyingParty", "VauthWebAuthn", "VauthAuthenticator", "VauthCrypto"]),
        // Fuzzing (Tests/Fuzz/run.sh): the harnesses, the libFuzzer driver / replayer, and the
        // regression tests that replay every seed and every input that ever crashed.
        .target(name: "VauthFuzzing", dependencies: ["VauthCBOR", "VauthCrypto", "VauthAuthenticator", "VauthKeystore", "VauthWebAuthn", "VauthTransfer", "VauthTransport"],
                path: "Tests/Fuzz/Harnesses"),
        .executableTarget(name: "vauth-fuzz", dependencies: ["VauthFuzzing"], path: "Tests/Fuzz/Driver"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["VauthFuzzing"]),
        .testTarget(name: "VauthTransportTests", dependencies: ["VauthTransport", "VauthAuthenticator", "VauthCBOR", "VauthCrypto"]),
        .testTarget(name: "VauthBridgeTests", dependencies: ["VauthBridge", "VauthWebAuthn"]),
        .testTarget(name: "VauthServicesTests", dependencies: ["VauthServices", "VauthWebAuthn", "VauthAuthenticator", "VauthCrypto"]),
        .testTarget(name: "VauthFixturesTests", dependencies: ["VauthFixtures", "VauthWebAuthn", "VauthAuthenticator", "VauthCrypto", "VauthCBOR"]),
        .testTarget(name: "VauthWebAuthnTests", dependencies: ["VauthWebAuthn", "VauthAuthenticator", "VauthCrypto", "VauthCBOR"]),
    ]
)
