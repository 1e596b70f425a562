import Testing

@testable import SortgateCore

@Suite("Mean kinetic temperature")
struct ColdChainMKTTests {
    func t(_ minutes: Int64) -> EventTime { coldChainTime(minutes) }
    func hours(_ hours: Int64) -> EventTime { coldChainTime(hours * 60) }

    @Test("exp and log agree with the correctly rounded values to 1e-15 relative")
    func realFunctions() {
        // Reference values from CPython's math module (glibc's correctly rounded libm).
        let expCases: [(Double, Double)] = [
            (1, 2.718281828459045),
            (-35.9, 2.5634691757977137e-16),
            (-1e-3, 0.999000499833375),
            (0, 1),
        ]
        for (x, expected) in expCases {
            #expect(abs(RealFunctions.exp(x) - expected) <= 1e-15 * expected)
        }
        let logCases: [(Double, Double)] = [
            (10, 2.302585092994046),
            (2.5e-16, -35.92507075603058),
            (0.5, -0.6931471805599453),
            (1, 0),
        ]
        for (x, expected) in logCases {
            #expect(abs(RealFunctions.log(x) - expected) <= 1e-15 * max(1, abs(expected)))
        }
        #expect(RealFunctions.log(0) == -.infinity)
        #expect(RealFunctions.log(-1).isNaN)
        #expect(RealFunctions.exp(-800) == 0)
        #expect(RealFunctions.exp(800) == .infinity)
    }

    @Test("A constant 5 °C has an MKT of 5.00 °C, per sample and time-weighted")
    func constant() {
        #expect(abs(MeanKineticTemperature.celsius(ofEquallySpaced: Array(repeating: 5.0, count: 100))! - 5) < 1e-9)
        var rolling = MeanKineticTemperature(
            window: .seconds(86_400),
            weighting: .timeWeighted(maximumHold: .seconds(900))
        )
        for minute in Int64(0)...600 { rolling.add(5, at: t(minute)) }
        #expect(abs(rolling.celsius! - 5) < 1e-9)
        #expect(rolling.coveredDuration == .seconds(600 * 60))
    }

    @Test("USP-style check: 52 weekly means of 25 °C give an MKT of 25.0 °C")
    func fiftyTwoWeeks() {
        var rolling = MeanKineticTemperature(window: .seconds(365 * 86_400), weighting: .perSample)
        for week in Int64(0)..<52 { rolling.add(25, at: hours(week * 7 * 24)) }
        #expect(rolling.sampleCount == 52)
        #expect(abs(rolling.celsius! - 25) < 0.01)
    }

    @Test("Two values by hand: 20 °C and 30 °C equally weighted give 26.26 °C")
    func twoValuesByHand() {
        // T₁ = 293.15 K: ΔH/(R·T₁) = 10 000 / 293.15 = 34.112229, e^−34.112229 = 1.531959e−15
        // T₂ = 303.15 K: ΔH/(R·T₂) = 10 000 / 303.15 = 32.986970, e^−32.986970 = 4.719988e−15
        // mean = 3.125973e−15, −ln(mean) = 33.399031, 10 000 / 33.399031 = 299.40989 K = 26.2599 °C
        // (the arithmetic mean is 25 °C: MKT weighs the warmer reading more).
        let mkt = MeanKineticTemperature.celsius(ofEquallySpaced: [20, 30])!
        #expect(abs(mkt - 26.2599) < 0.01)
        var rolling = MeanKineticTemperature(window: .seconds(86_400), weighting: .timeWeighted(maximumHold: nil))
        rolling.add(20, at: t(0))
        rolling.add(30, at: t(60))
        rolling.advance(to: t(120))
        #expect(abs(rolling.celsius! - 26.2599) < 0.01)
    }

    @Test("Textbook example: 2 h at 20 °C, 4 h at 2 °C, 1 h at 25 °C is thermally 15.7 °C")
    func textbookExample() {
        // The example of systems.isopharm.co.uk/mean-kinetic-temperature ("a product sat in a
        // 20 °C room for 2 hours, in 2 °C refrigeration for 4 hours, and on a 25 °C loading dock
        // for 1 hour … thermally equivalent to storing them at 15.7 °C"), with ΔH/R = 10 000 K:
        // (2·e^(−10000/293.15) + 4·e^(−10000/275.15) + 1·e^(−10000/298.15)) / 7 = 9.194719e−16,
        // −ln = 34.622732, 10 000 / 34.622732 = 288.8276 K = 15.68 °C.
        let weighted = MeanKineticTemperature.celsius(ofWeighted: [(20, 2), (2, 4), (25, 1)])!
        #expect(abs(weighted - 15.68) < 0.01)
        #expect(abs(weighted - 15.7) < 0.05)
        // The same from readings at irregular intervals, each standing until the next.
        var rolling = MeanKineticTemperature(
            window: .seconds(86_400),
            weighting: .timeWeighted(maximumHold: .seconds(5 * 3600))
        )
        rolling.add(20, at: hours(0))
        rolling.add(2, at: hours(2))
        rolling.add(25, at: hours(6))
        rolling.advance(to: hours(7))
        #expect(abs(rolling.celsius! - 15.68) < 0.01)
        #expect(rolling.coveredDuration == .seconds(7 * 3600))
    }

    @Test("Time-weighted clips the oldest reading at the window's start; per sample drops it whole")
    func rollingWindow() {
        var weighted = MeanKineticTemperature(window: .seconds(3600), weighting: .timeWeighted(maximumHold: nil))
        var perSample = MeanKineticTemperature(window: .seconds(3600), weighting: .perSample)
        weighted.add(30, at: t(0))
        weighted.add(5, at: t(30))
        perSample.add(30, at: t(0))
        perSample.add(5, at: t(30))
        weighted.advance(to: t(60))
        perSample.advance(to: t(60))
        // Window (0, 60]: 30 minutes each; the reading at 0 is exactly at the start, out per sample.
        // By hand: (e^(−10000/303.15) + e^(−10000/278.15)) / 2 = 2.481694e−15, −ln = 33.629835,
        // 10 000 / 33.629835 = 297.3550 K = 24.205 °C.
        #expect(abs(weighted.celsius! - 24.205) < 0.01)
        #expect(abs(perSample.celsius! - 5) < 1e-9)
        #expect(perSample.sampleCount == 1)
        weighted.advance(to: t(75))
        // Window (15, 75]: 30 °C for 15 minutes, 5 °C for 45: (15·e^(−10000/303.15) +
        // 45·e^(−10000/278.15)) / 60 = 1.362547e−15, −ln = 34.229421, 292.1463 K = 18.996 °C.
        #expect(abs(weighted.celsius! - 18.996) < 0.01)
        weighted.advance(to: t(130))
        // Window (70, 130]: only the 5 °C reading, still standing.
        #expect(abs(weighted.celsius! - 5) < 1e-9)
        #expect(weighted.sampleCount == 1)
    }

    @Test("A gap longer than maximumHold is not counted; an interruption ends the newest reading's time")
    func holdAndInterruption() {
        var rolling = MeanKineticTemperature(
            window: .seconds(86_400),
            weighting: .timeWeighted(maximumHold: .seconds(3600))
        )
        rolling.add(20, at: hours(0))
        rolling.add(5, at: hours(3))  // 20 °C counts 1 h, not 3
        rolling.interrupt(at: hours(5))  // 5 °C counts 1 h (the hold), and stops anyway at 5 h
        rolling.advance(to: hours(8))
        // By hand: 1 h each of 20 °C and 5 °C: (e^(−10000/293.15) + e^(−10000/278.15)) / 2
        // = 8.876795e−16, −ln = 34.657921, 10 000 / 34.657921 = 288.5343 K = 15.384 °C.
        #expect(abs(rolling.celsius! - 15.384) < 0.01)
        #expect(rolling.coveredDuration == .seconds(2 * 3600))
    }

    @Test("Out-of-order, non-finite and impossible readings are refused and counted")
    func rejections() {
        var rolling = MeanKineticTemperature(window: .seconds(3600), weighting: .perSample)
        let accepted = rolling.add(5, at: t(10))
        let older = rolling.add(5, at: t(9))
        let notANumber = rolling.add(.nan, at: t(11))
        let belowAbsoluteZero = rolling.add(-300, at: t(11))
        #expect(accepted)
        #expect(!older && !notANumber && !belowAbsoluteZero)
        #expect(rolling.rejectedCount == 3)
        #expect(rolling.sampleCount == 1)
        let empty = MeanKineticTemperature(window: .seconds(3600), weighting: .perSample)
        #expect(empty.celsius == nil)
        #expect(MeanKineticTemperature.celsius(ofEquallySpaced: []) == nil)
    }

    @Test("A long rolling run matches the formula over the window's readings (no drift)")
    func longRunMatchesFormula() {
        var rolling = MeanKineticTemperature(window: .seconds(6 * 3600), weighting: .perSample)
        var all: [(minute: Int64, celsius: Double)] = []
        for minute in Int64(0)..<20_000 {
            let celsius = 4 + Double((minute * 7919) % 97) / 10  // 4.0 … 13.6 °C, pseudo-random
            all.append((minute, celsius))
            rolling.add(celsius, at: t(minute))
        }
        let inWindow = all.filter { $0.minute > 19_999 - 360 }.map(\.celsius)
        #expect(rolling.sampleCount == 360)
        #expect(abs(rolling.celsius! - MeanKineticTemperature.celsius(ofEquallySpaced: inWindow)!) < 1e-9)
    }
}
