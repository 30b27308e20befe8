import Crypto
import Foundation

extension ServerKey {
    /// Encrypts `plaintext` with AES-GCM under a key derived from the server key, bound to `context`: a sealed
    /// value copied into another row (another context) does not open. The result is `v1.` and base64.
    public func seal(_ plaintext: [UInt8], context: String) throws -> String {
        let box = try AES.GCM.seal(plaintext, using: self.sealingKey, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return "v1." + combined.base64EncodedString()
    }

    /// The plaintext of a value ``seal(_:context:)`` made for `context`; `nil` when it was made under another key
    /// or context, or was altered.
    public func open(_ sealed: String, context: String) -> [UInt8]? {
        guard sealed.hasPrefix("v1."), let data = Data(base64Encoded: String(sealed.dropFirst(3))),
            let box = try? AES.GCM.SealedBox(combined: data),
            let plaintext = try? AES.GCM.open(box, using: self.sealingKey, authenticating: Data(context.utf8))
        else { return nil }
        return Array(plaintext)
    }

    /// Never the server key itself: the HMAC key and the encryption key stay independent.
    private var sealingKey: SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: self.key, info: Data("tessera-seal-v1".utf8), outputByteCount: 32)
    }
}
