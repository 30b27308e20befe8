/// Why an operator's action was refused. Its message names the inputs at fault as fields, so each caller words
/// them its own way: the CLI as its flags (`--token-ttl`), the admin API as its JSON keys.
///
/// ```swift
/// throw OperatorError(.invalid, "\(.tokenLifetime) must be between 1 and 86400 seconds")
/// error.message { field in flags[field] ?? field.rawValue }   // "--token-ttl must be between 1 and 86400 seconds"
/// ```
public struct OperatorError: Error, Equatable, CustomStringConvertible {
    /// What kind of refusal: the caller picks its exit code or HTTP status from it.
    public enum Kind: Sendable, Equatable {
        /// An input is out of range or malformed.
        case invalid
        /// What the action names does not exist.
        case notFound
        /// A name that must be unique is taken, or the action conflicts with the current state.
        case conflict
        /// A name matches more than one thing: the caller must say which.
        case ambiguous
        /// The operator's role does not allow the action.
        case forbidden
    }

    /// The inputs of operator actions, by their name in the core.
    public enum Field: String, Sendable, Equatable, CaseIterable {
        case company, companyName, tokenLifetime, pairFailureLimit, accountFailureLimit, addressFailureLimit
        case passwordMaxAge, passwordMinLength, appName, appKey, username, password, email, phone, twoFactor, pin
        case secretQuestion, secretAnswer, session, user, role, corsOrigin, throttleAnswer, refreshLifetime, sessionMaxAge
        case passwordClasses, passwordHistory, recentAuthentication, userExpiryDays, trustedDeviceDays
    }

    /// A piece of a message: words, or the name of a field.
    public enum Part: Sendable, Equatable {
        case text(String)
        case field(Field)
    }

    public var kind: Kind
    public var parts: [Part]

    public init(_ kind: Kind, _ message: Message) {
        self.kind = kind
        self.parts = message.parts
    }

    /// The message, with each field named by `name`.
    public func message(naming name: (Field) -> String) -> String {
        self.parts.map { part in
            switch part {
            case .text(let text): text
            case .field(let field): name(field)
            }
        }.joined()
    }

    public var description: String { self.message { $0.rawValue } }

    /// A message written with `\(.field)` for the inputs it is about.
    public struct Message: ExpressibleByStringInterpolation, Sendable {
        var parts: [Part]

        public init(stringLiteral value: String) {
            self.parts = [.text(value)]
        }

        public init(stringInterpolation: Interpolation) {
            self.parts = stringInterpolation.parts
        }

        public struct Interpolation: StringInterpolationProtocol {
            var parts: [Part] = []

            public init(literalCapacity: Int, interpolationCount: Int) {}

            public mutating func appendLiteral(_ literal: String) {
                if !literal.isEmpty { self.parts.append(.text(literal)) }
            }

            public mutating func appendInterpolation(_ field: Field) {
                self.parts.append(.field(field))
            }

            public mutating func appendInterpolation(_ value: some CustomStringConvertible) {
                self.parts.append(.text(value.description))
            }
        }
    }
}
