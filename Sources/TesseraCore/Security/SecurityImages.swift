import Foundation

/// The security images a user picks with their PIN, drawn by Tessera itself: simple shapes, encoded as PNG.
///
/// The PIN step shows the chosen image and phrase, so a user can tell the real server from a look-alike.
public enum SecurityImages {
    /// One image: its file name and PNG bytes.
    public struct Image: Sendable, Equatable {
        public var fileName: String
        public var png: Data
    }

    static let side = 48

    /// Every image, in a stable order.
    public static let all: [Image] = shapes.map { Image(fileName: $0.name + ".png", png: PNG.encode(side: side, pixel: $0.pixel)) }

    /// The image of this file name, if Tessera ships one.
    public static func named(_ fileName: String) -> Image? {
        all.first { $0.fileName == fileName }
    }

    typealias RGB = (UInt8, UInt8, UInt8)

    struct Shape {
        var name: String
        var pixel: @Sendable (_ x: Double, _ y: Double) -> RGB
    }

    static let background: RGB = (245, 245, 240)

    /// Shapes on a light background; `x` and `y` run from -1 to 1.
    static let shapes: [Shape] = [
        Shape(name: "red-circle") { x, y in x * x + y * y < 0.6 ? (200, 40, 40) : background },
        Shape(name: "blue-square") { x, y in abs(x) < 0.6 && abs(y) < 0.6 ? (40, 70, 200) : background },
        Shape(name: "green-triangle") { x, y in y > -0.6 && y < 0.7 && abs(x) < (y + 0.6) * 0.55 ? (40, 150, 60) : background },
        Shape(name: "orange-diamond") { x, y in abs(x) + abs(y) < 0.8 ? (235, 140, 20) : background },
        Shape(name: "purple-ring") { x, y in (0.3...0.7).contains(x * x + y * y) ? (130, 50, 170) : background },
        Shape(name: "teal-cross") { x, y in (abs(x) < 0.2 && abs(y) < 0.75) || (abs(y) < 0.2 && abs(x) < 0.75) ? (20, 140, 140) : background },
        Shape(name: "black-stripes") { x, _ in Int((x + 1) * 4) % 2 == 0 ? (30, 30, 30) : background },
        Shape(name: "gold-checker") { x, y in (Int((x + 1) * 3) + Int((y + 1) * 3)) % 2 == 0 ? (210, 170, 30) : background },
    ]
}

/// A minimal PNG writer: 8-bit RGB, one zlib stored block. Enough for small generated images.
enum PNG {
    static func encode(side: Int, pixel: (Double, Double) -> SecurityImages.RGB) -> Data {
        var raw = [UInt8]()
        raw.reserveCapacity(side * (1 + side * 3))
        for row in 0..<side {
            raw.append(0)  // filter: none
            for column in 0..<side {
                let x = (Double(column) + 0.5) / Double(side) * 2 - 1
                let y = (Double(row) + 0.5) / Double(side) * 2 - 1
                let (r, g, b) = pixel(x, y)
                raw += [r, g, b]
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(UInt32(side)) + bigEndian(UInt32(side)) + [8, 2, 0, 0, 0])
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return Data(png)
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out.append(final)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        return out + bigEndian(adler32(data))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return (b << 16) | a
    }
}
