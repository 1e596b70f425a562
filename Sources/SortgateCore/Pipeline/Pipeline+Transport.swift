/// The temperature figures of a journey row, compared to write a row again only when they change.
struct JourneyTemperatureKey: Hashable, Sendable {
    var minCelsius: Double?
    var maxCelsius: Double?
    /// Whole seconds out of range.
    var outOfRangeSeconds: Int64
}

extension Pipeline {
    /// Loads (or replaces) the manifest the journeys are judged against; see `TransportTracker.load`.
    public mutating func loadManifest(_ containers: [ManifestContainer]) {
        transport.load(containers)
    }

    /// On a container's arrival: the temperature class its manifest names, if any, so the cold
    /// chain watches it from its first zone with readings, not only from its first classed zone.
    mutating func classFromManifest(_ epc: EPC) {
        guard TransportTracker.isContainer(epc), let name = transport.manifestEntry(of: epc)?.temperatureClass
        else { return }
        coldChain.assignClass(name, to: epc)
    }

    /// Restores container journeys saved by a previous run (see `TransportTracker.restore`).
    public mutating func restoreJourneys(_ journeys: [TransportJourney]) {
        for journey in journeys { transport.restore(journey) }
    }

    /// Moves the journeys' clock, applies this batch's container alerts, and adds the journeys that
    /// changed to `batch`, each with the cold chain's current summary of the container.
    ///
    /// The temperature figures of a container change with every reading of its zone, without any
    /// movement: the journeys of containers present on site are compared with what was last
    /// written (O(containers present) per batch) and written again when their figures moved.
    mutating func takeTransport(into batch: inout FactBatch) {
        for alert in batch.alerts where alert.container != nil { transport.observe(alert: alert) }
        transport.advance(to: clock)
        var refreshed: Set<EPC> = []
        if coldChain.isActive {
            for container in transport.presentContainers {
                guard let summary = coldChain.summary(of: container) else { continue }
                let key = JourneyTemperatureKey(summary)
                if journeyTemperatures[container] != key { refreshed.insert(container) }
            }
        }
        var seen: Set<EPC> = []
        var drained: [TransportJourney] = []
        transport.drainChanges { drained.append($0) }
        for journey in drained {
            seen.insert(journey.container)
            batch.transport.append(withTemperature(journey))
        }
        for container in refreshed.subtracting(seen).sorted(by: { $0.hex < $1.hex }) {
            guard let journey = transport.journey(of: container) else { continue }
            batch.transport.append(withTemperature(journey))
        }
    }

    private mutating func withTemperature(_ journey: TransportJourney) -> TransportJourney {
        var journey = journey
        journey.temperature = coldChain.isActive ? coldChain.summary(of: journey.container) : nil
        if let summary = journey.temperature { journeyTemperatures[journey.container] = JourneyTemperatureKey(summary) }
        return journey
    }
}

extension JourneyTemperatureKey {
    init(_ summary: ContainerTemperatureSummary) {
        self.init(
            minCelsius: summary.minCelsius,
            maxCelsius: summary.maxCelsius,
            outOfRangeSeconds: summary.timeOutOfRange.components.seconds
        )
    }
}
