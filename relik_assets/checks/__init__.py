"""Asset checks: Great Expectations suites and integrity checks, as AssetCheckResults."""
