/// The central PostgreSQL schema, as migrations applied in order and recorded in
/// `central_migrations`; like SQLite's, an applied migration is never edited.
enum CentralSchema {
    struct Migration {
        var name: String
        /// Executed one by one (the extended protocol takes one statement at a time).
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            name: "v1-central",
            statements: CentralTable.firstSchema.flatMap(\.centralDDL) + [
                """
                CREATE TABLE IF NOT EXISTS central_sites (
                    site text COLLATE "C" NOT NULL,
                    database_id text NOT NULL,
                    seq bigint NOT NULL,
                    movements_through bigint NOT NULL,
                    readings_through bigint NOT NULL,
                    shipped_at timestamptz NOT NULL,
                    PRIMARY KEY (site, database_id)
                )
                """
            ]
        ),
        // The manifests (so a hub's EPCIS export has the aggregations and its shipments their
        // containers) and the quarantine, shipped by id range like movements: its mark is new.
        Migration(
            name: "v2-manifests-quarantine",
            statements: [CentralTable.manifestContainers, .manifestItems, .quarantine].flatMap(\.centralDDL) + [
                "ALTER TABLE central_sites ADD COLUMN IF NOT EXISTS quarantine_through bigint NOT NULL DEFAULT 0"
            ]
        ),
    ]
}
