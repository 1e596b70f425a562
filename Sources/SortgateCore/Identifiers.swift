/// A small integer naming one device instance (an MQTT reader, a Modbus sensor, a replayed
/// source). Every event carries its source id and a per-source sequence number, so loss,
/// duplication and reordering can be detected end to end.
public struct SourceID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ index: Int) { self.rawValue = UInt16(index) }
    @inlinable public var index: Int { Int(rawValue) }
    @inlinable public static func < (a: SourceID, b: SourceID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "source#\(rawValue)" }
}

/// A small integer naming one zone of the site (interned from the config's zone names).
public struct ZoneID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ index: Int) { self.rawValue = UInt16(index) }
    @inlinable public var index: Int { Int(rawValue) }
    @inlinable public static func < (a: ZoneID, b: ZoneID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "zone#\(rawValue)" }
}

/// Interns names (sources, zones) to dense small integer ids, so events carry two bytes
/// instead of a `String`. Interning happens at configuration time; the hot path only maps ids
/// back to names when a fact is written.
public struct NameTable: Sendable {
    public private(set) var names: [String] = []
    private var ids: [String: Int] = [:]

    public init() {}

    public init(_ names: some Sequence<String>) {
        for name in names { _ = intern(name) }
    }

    /// Returns the id of `name`, adding it if new.
    @discardableResult
    public mutating func intern(_ name: String) -> Int {
        if let id = ids[name] { return id }
        let id = names.count
        names.append(name)
        ids[name] = id
        return id
    }

    public func id(of name: String) -> Int? { ids[name] }
    public func name(of id: Int) -> String { names[id] }
    public var count: Int { names.count }
}
