import Foundation
import TesseraCore

/// Logins per hour drawn on the server as SVG: four bars an hour (succeeded, failed, throttled, locked) on one
/// scale, hour marks below, a legend. No script, nothing fetched.
enum LoginChart {
    static let series: [(name: String, color: String, value: any KeyPath<LoginActivityHour, Int> & Sendable)] = [
        ("succeeded", "#2e8b57", \.succeeded),
        ("failed", "#d08a2e", \.failed),
        ("throttled", "#8e5bb8", \.throttled),
        ("locked", "#c0392b", \.locked),
    ]

    static func svg(_ hours: [LoginActivityHour]) -> String {
        let width = 1080.0
        let height = 260.0
        let left = 44.0
        let bottom = 28.0
        let top = 12.0
        let plotHeight = height - bottom - top
        let slot = (width - left - 8) / Double(max(hours.count, 1))
        let bar = max((slot - 4) / Double(Self.series.count), 1)
        let highest = max(hours.map { hour in Self.series.map { hour[keyPath: $0.value] }.max() ?? 0 }.max() ?? 0, 1)
        // Four gridline steps of a round size, so each line's label is a whole number.
        let scale = Self.niceCeiling((highest + 3) / 4) * 4
        var parts: [String] = []
        // Gridlines and their values.
        for step in 0...4 {
            let value = scale * step / 4
            let y = top + plotHeight - plotHeight * Double(step) / 4
            parts.append("<line x1=\"\(left)\" y1=\(quoted(y)) x2=\"\(width - 4)\" y2=\(quoted(y)) stroke=\"#dde3e9\"/>")
            parts.append("<text x=\"\(left - 6)\" y=\(quoted(y + 4)) text-anchor=\"end\">\(value)</text>")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func hourFormat(_ date: Date) -> String {
            String(format: "%02d:00", calendar.component(.hour, from: date))
        }
        for (index, hour) in hours.enumerated() {
            let x = left + Double(index) * slot + 2
            for (offset, series) in Self.series.enumerated() {
                let value = hour[keyPath: series.value]
                let barHeight = plotHeight * Double(value) / Double(scale)
                let title = "\(hourFormat(hour.start)) UTC: \(value) \(series.name)"
                parts.append(
                    "<rect x=\(quoted(x + Double(offset) * bar)) y=\(quoted(top + plotHeight - barHeight)) width=\(quoted(bar - 0.5)) "
                        + "height=\(quoted(barHeight)) fill=\"\(series.color)\"><title>\(HTML.escape(title))</title></rect>"
                )
            }
            if index % 3 == 0 {
                parts.append("<text x=\(quoted(x)) y=\(quoted(height - 10))>\(hourFormat(hour.start))</text>")
            }
        }
        parts.append("<line x1=\"\(left)\" y1=\(quoted(top + plotHeight)) x2=\"\(width - 4)\" y2=\(quoted(top + plotHeight)) stroke=\"#7b8a98\"/>")
        // Swatches as classes of the style sheet: the console's CSP allows no inline style.
        let legend = Self.series.map { "<span><i class=\"swatch swatch-\($0.name)\"></i>\($0.name)</span>" }
        return """
            <svg id="logins-chart" xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Logins per hour, last 24 hours (UTC)">
            \(parts.joined(separator: "\n"))
            </svg>
            <p class="legend">\(legend.joined())</p>
            """
    }

    private static func quoted(_ value: Double) -> String {
        "\"\(String(format: "%.1f", value))\""
    }

    /// 1, 2, 5 × a power of ten, at or above `value`.
    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while magnitude * 10 <= value { magnitude *= 10 }
        for factor in [1, 2, 5, 10] where factor * magnitude >= value { return factor * magnitude }
        return 10 * magnitude
    }
}
