from govlake.platform.delta_features import implied_features, unsupported_features


def test_plain_spark_tables_are_readable():
    assert unsupported_features(1, 2, []) == []
    assert unsupported_features(3, 7, ["appendOnly", "invariants", "deletionVectors", "timestampNtz"]) == []


def test_features_trino_cannot_read_are_named():
    bad = unsupported_features(3, 7, ["appendOnly", "rowTracking", "domainMetadata", "deletionVectors"])
    assert bad == ["domainMetadata", "rowTracking"]
    assert unsupported_features(3, 7, ["inCommitTimestamp"]) == ["inCommitTimestamp"]


def test_legacy_protocol_versions_imply_features():
    assert implied_features(1, 4) >= {"generatedColumns", "changeDataFeed", "appendOnly"}
    assert unsupported_features(1, 4, []) == ["generatedColumns"]
    assert unsupported_features(2, 6, []) == ["generatedColumns", "identityColumns"]


def test_protocol_versions_beyond_trino():
    assert unsupported_features(4, 7, []) == ["minReaderVersion=4"]
