.PHONY: demo test test-postgres bench

demo:
	.venv/bin/truce demo

test:
	scripts/test

test-postgres:
	TRUCE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/truce scripts/test

bench:
	.venv/bin/pip install -q -e ".[bench]" && .venv/bin/python -m bench.run
