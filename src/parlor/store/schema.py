"""The schema, as an ordered list of versioned migrations.

``migrate()`` brings any parlor database, new or old, up to the newest version
in place: each migration runs in its own transaction together with the bump of
``schema_version``, so a failure leaves the database at the last good version
and no data is lost. Migrations are append-only: never edit a released one,
add the next.

Money columns are BIGINT whole chips. ``{id}`` in DDL becomes the engine's
auto-numbered key (see ``Dialect.id_column``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from parlor.store.db import Database, Transaction


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    title: str
    statements: Sequence[str]
    #: Run after ``statements`` on one engine only: what the two spell differently.
    by_dialect: Mapping[str, Sequence[str]] = field(default_factory=dict)


_REASONS_V5 = "'bankroll', 'bet', 'withdraw', 'payout', 'refund', 'grant', 'fund', 'cashout'"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "roulette sessions, bets, spins and the ledger",
        (
            """CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                wheel TEXT NOT NULL CHECK (wheel IN ('american', 'european')),
                la_partage INTEGER NOT NULL DEFAULT 0 CHECK (la_partage IN (0, 1)),
                table_min BIGINT NOT NULL CHECK (table_min > 0),
                table_max BIGINT NOT NULL CHECK (table_max >= table_min),
                bankroll BIGINT NOT NULL CHECK (bankroll > 0),
                balance BIGINT NOT NULL CHECK (balance >= 0),
                open_stake BIGINT NOT NULL DEFAULT 0 CHECK (open_stake >= 0),
                bet_count INTEGER NOT NULL DEFAULT 0,
                spin_count INTEGER NOT NULL DEFAULT 0,
                server_seed TEXT NOT NULL,
                server_seed_hash TEXT NOT NULL,
                client_seed TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ended')),
                opened_at TEXT NOT NULL,
                ended_at TEXT
            )""",
            """CREATE TABLE bets (
                id {id},
                session_id TEXT NOT NULL REFERENCES sessions (id),
                confirmation INTEGER NOT NULL,
                kind TEXT NOT NULL,
                numbers TEXT NOT NULL,
                amount BIGINT NOT NULL CHECK (amount > 0),
                status TEXT NOT NULL
                    CHECK (status IN ('open', 'withdrawn', 'settled', 'refunded')),
                spin INTEGER,
                payout BIGINT,
                outcome BIGINT,
                placed_at TEXT NOT NULL,
                UNIQUE (session_id, confirmation)
            )""",
            # Spins read only a session's open bets; a partial index keeps that cheap
            # however long the session's history grows.
            "CREATE INDEX bets_open ON bets (session_id) WHERE status = 'open'",
            """CREATE TABLE spins (
                session_id TEXT NOT NULL REFERENCES sessions (id),
                n INTEGER NOT NULL,
                pocket INTEGER NOT NULL CHECK (pocket BETWEEN 0 AND 37),
                spun_at TEXT NOT NULL,
                PRIMARY KEY (session_id, n)
            )""",
            # Double entry: every movement is two rows, +x for one account and -x for
            # the other, so the whole table always sums to zero. An account is a
            # session id or 'house'.
            """CREATE TABLE ledger (
                id {id},
                account TEXT NOT NULL,
                amount BIGINT NOT NULL,
                reason TEXT NOT NULL
                    CHECK (reason IN ('bankroll', 'bet', 'withdraw', 'payout', 'refund')),
                session_id TEXT NOT NULL,
                bet_id BIGINT,
                spin INTEGER,
                at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "idempotency keys for placing bets",
        (
            # A retried POST with the same key returns the first bet instead of
            # placing another; the fingerprint catches a key reused for another body.
            """CREATE TABLE idempotency_keys (
                session_id TEXT NOT NULL REFERENCES sessions (id),
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                confirmation INTEGER NOT NULL,
                balance BIGINT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (session_id, key)
            )""",
        ),
    ),
    Migration(
        3,
        "open bets found from a settled-through mark, not an index",
        (
            # Every bet at or below settled_through is settled, withdrawn or
            # refunded, so a session's open bets lie in the short range of
            # confirmations above it, which the (session_id, confirmation) key
            # already reaches. The partial index bets_open did the same job at
            # the price of one more page written by every bet: a fifth of a
            # bet's commit.
            "ALTER TABLE sessions ADD COLUMN settled_through INTEGER NOT NULL DEFAULT 0",
            """UPDATE sessions SET settled_through = COALESCE(
                (SELECT MIN(b.confirmation) FROM bets b
                 WHERE b.session_id = sessions.id AND b.status = 'open') - 1,
                bet_count)""",
            "DROP INDEX bets_open",
        ),
    ),
    Migration(
        4,
        "a version on each session that grows with every change (long polls wait on it)",
        (
            "ALTER TABLE sessions ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
            # What the version would be had it been kept from the start: 1 when
            # opened, and one more per bet, withdrawal, spin and the end.
            """UPDATE sessions SET version = 1 + bet_count + spin_count
                + (SELECT COUNT(*) FROM bets b
                   WHERE b.session_id = sessions.id AND b.status = 'withdrawn')
                + CASE WHEN status = 'ended' THEN 1 ELSE 0 END""",
        ),
    ),
    Migration(
        5,
        "player accounts, their tokens, the web's server-side sessions and digest nonces",
        (
            # username_key is the name NFKC-normalised and casefolded (parlor.names):
            # two names that compare equal can never both be taken. The digest
            # columns hold H(username:realm:password) per algorithm, for the realm
            # in digest_realm (docs/security.md says what keeping them trades);
            # the userhash columns H(username:realm), to find an account by it.
            """CREATE TABLE accounts (
                id {id},
                username TEXT NOT NULL,
                username_key TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                digest_realm TEXT NOT NULL,
                digest_sha256 TEXT NOT NULL,
                digest_md5 TEXT NOT NULL,
                userhash_sha256 TEXT NOT NULL,
                userhash_md5 TEXT NOT NULL,
                balance BIGINT NOT NULL CHECK (balance >= 0),
                created_at TEXT NOT NULL,
                password_changed_at TEXT NOT NULL
            )""",
            "CREATE INDEX accounts_userhash_sha256 ON accounts (userhash_sha256)",
            "CREATE INDEX accounts_userhash_md5 ON accounts (userhash_md5)",
            # Bearer tokens an account holder asked for (the web app keeps one per
            # logged-in visit). Only a SHA-256 of each token is kept: a copy of the
            # database lets nobody in.
            """CREATE TABLE account_tokens (
                token_hash TEXT PRIMARY KEY,
                account_id BIGINT NOT NULL REFERENCES accounts (id),
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX account_tokens_account ON account_tokens (account_id)",
            # A session opened by an account holder is funded from the account, and
            # its balance goes back there when it ends (then cashed_out says how much).
            "ALTER TABLE sessions ADD COLUMN account_id BIGINT REFERENCES accounts (id)",
            "ALTER TABLE sessions ADD COLUMN cashed_out BIGINT",
            "CREATE INDEX sessions_account ON sessions (account_id)",
            # The web app's visits (parlor.wsgi.sessions): the cookie holds a random
            # id, this table a SHA-256 of it and the visit's data.
            """CREATE TABLE web_sessions (
                id_hash TEXT PRIMARY KEY,
                data TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                seen_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX web_sessions_seen ON web_sessions (seen_at)",
            # The highest nonce-count each Digest nonce was used with, shared by
            # every worker, so a replayed request is refused whichever one it reaches.
            """CREATE TABLE digest_nonces (
                nonce TEXT PRIMARY KEY,
                nc BIGINT NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL
            )""",
        ),
        # The ledger learns three movements: 'grant' (house to an account),
        # 'fund' (an account to its session) and 'cashout' (a session back to
        # its account). A grant belongs to no session, so session_id may be NULL.
        # SQLite cannot alter a CHECK constraint: the table is rebuilt, ids kept.
        by_dialect={
            "sqlite": (
                f"""CREATE TABLE ledger_v5 (
                    id INTEGER PRIMARY KEY,
                    account TEXT NOT NULL,
                    amount BIGINT NOT NULL,
                    reason TEXT NOT NULL CHECK (reason IN ({_REASONS_V5})),
                    session_id TEXT,
                    bet_id BIGINT,
                    spin INTEGER,
                    at TEXT NOT NULL
                )""",
                "INSERT INTO ledger_v5 (id, account, amount, reason, session_id, bet_id, spin, at)"
                " SELECT id, account, amount, reason, session_id, bet_id, spin, at FROM ledger",
                "DROP TABLE ledger",
                "ALTER TABLE ledger_v5 RENAME TO ledger",
            ),
            "postgresql": (
                "ALTER TABLE ledger DROP CONSTRAINT ledger_reason_check",
                f"ALTER TABLE ledger ADD CONSTRAINT ledger_reason_check"
                f" CHECK (reason IN ({_REASONS_V5}))",
                "ALTER TABLE ledger ALTER COLUMN session_id DROP NOT NULL",
            ),
        },
    ),
    Migration(
        6,
        "chess games and their moves",
        (
            # A game's row holds what the rules cannot work out from the moves: the seats
            # (a SHA-256 of each player's token; NULL while free), the result, the draw
            # offer, the clocks, and a version that grows with every change.
            """CREATE TABLE chess_games (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'over')),
                white_token TEXT,
                black_token TEXT,
                ply INTEGER NOT NULL DEFAULT 0,
                result TEXT NOT NULL DEFAULT '*',
                termination TEXT,
                draw_offer TEXT CHECK (draw_offer IN ('white', 'black')),
                clock_initial DOUBLE PRECISION,
                clock_increment DOUBLE PRECISION,
                white_remaining DOUBLE PRECISION,
                black_remaining DOUBLE PRECISION,
                turn_started DOUBLE PRECISION,
                version BIGINT NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX chess_games_status ON chess_games (status, created_at)",
            # The moves are the game: the start position and these, replayed (parlor.chess).
            """CREATE TABLE chess_moves (
                game_id TEXT NOT NULL REFERENCES chess_games (id),
                ply INTEGER NOT NULL CHECK (ply >= 1),
                uci TEXT NOT NULL,
                san TEXT NOT NULL,
                played_at TEXT NOT NULL,
                PRIMARY KEY (game_id, ply)
            )""",
        ),
    ),
    Migration(
        7,
        "chess seats held by accounts, players' names, the computer's seat, idempotent moves",
        (
            # A seat taken while signed in belongs to the account too, so its holder can
            # play it from any browser without the seat's token ("My games").
            "ALTER TABLE chess_games ADD COLUMN white_account BIGINT REFERENCES accounts (id)",
            "ALTER TABLE chess_games ADD COLUMN black_account BIGINT REFERENCES accounts (id)",
            "ALTER TABLE chess_games ADD COLUMN white_name TEXT",
            "ALTER TABLE chess_games ADD COLUMN black_name TEXT",
            "CREATE INDEX chess_games_white_account ON chess_games (white_account)",
            "CREATE INDEX chess_games_black_account ON chess_games (black_account)",
            # The computer's seat, if it plays one (parlor.bots.chess_engine moves for it),
            # at a skill level; and why the house called a game off, when it did.
            "ALTER TABLE chess_games ADD COLUMN engine_color TEXT"
            " CHECK (engine_color IN ('white', 'black'))",
            "ALTER TABLE chess_games ADD COLUMN engine_level INTEGER",
            "ALTER TABLE chess_games ADD COLUMN note TEXT",
            "CREATE INDEX chess_games_engine ON chess_games (status, engine_color)",
            # A move sent with an Idempotency-Key is applied once: a retry finds its key.
            """CREATE TABLE chess_idempotency (
                game_id TEXT NOT NULL REFERENCES chess_games (id),
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (game_id, key)
            )""",
        ),
    ),
    Migration(
        8,
        "roulette tables shared by many sessions, their rounds, and each session's seat",
        (
            # A table (parlor.house.tables) has one wheel and one committed server seed,
            # revealed when it closes; ``round`` counts the rounds spun. A name belongs to
            # one open table at a time; a closed table keeps its name and its history, and
            # the name may be opened again as a new table.
            """CREATE TABLE roulette_tables (
                id {id},
                name TEXT NOT NULL,
                wheel TEXT NOT NULL CHECK (wheel IN ('american', 'european')),
                server_seed TEXT NOT NULL,
                server_seed_hash TEXT NOT NULL,
                client_seed TEXT NOT NULL,
                round INTEGER NOT NULL DEFAULT 0 CHECK (round >= 0),
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
                opened_at TEXT NOT NULL,
                closed_at TEXT,
                version BIGINT NOT NULL DEFAULT 1
            )""",
            "CREATE UNIQUE INDEX roulette_tables_open_name ON roulette_tables (name)"
            " WHERE status = 'open'",
            # A name's newest table, open or closed (reads, and verifying a closed one).
            "CREATE INDEX roulette_tables_name ON roulette_tables (name, id)",
            # Each round: its pocket, and what it settled.
            """CREATE TABLE table_spins (
                table_id BIGINT NOT NULL REFERENCES roulette_tables (id),
                round INTEGER NOT NULL CHECK (round >= 1),
                pocket INTEGER NOT NULL CHECK (pocket BETWEEN 0 AND 37),
                spun_at TEXT NOT NULL,
                sessions INTEGER NOT NULL,
                bets INTEGER NOT NULL,
                staked BIGINT NOT NULL,
                returned BIGINT NOT NULL,
                PRIMARY KEY (table_id, round)
            )""",
            # A session that has sat at a table plays there from then on (table_id);
            # seated_at is when it sat down, NULL while it stands. A spin finds the
            # sessions with open bets at its table, and WHO the seated ones, through
            # sessions_table; no column of it changes with a bet, so bets never write it.
            "ALTER TABLE sessions ADD COLUMN table_id BIGINT REFERENCES roulette_tables (id)",
            "ALTER TABLE sessions ADD COLUMN seated_at TEXT",
            "CREATE INDEX sessions_table ON sessions (table_id, status)",
            # A table session's spin records the table round its pocket came from.
            "ALTER TABLE spins ADD COLUMN table_id BIGINT REFERENCES roulette_tables (id)",
            "ALTER TABLE spins ADD COLUMN table_round INTEGER",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version


def current_version(tx: Transaction) -> int:
    tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = tx.one("SELECT MAX(version) FROM schema_version")
    return int(row[0]) if row and row[0] is not None else 0


def migrate(db: Database, *, target: int = LATEST) -> int:
    """Apply every migration above the database's version up to ``target``; return it.

    Each step re-reads the version under an exclusive lock, so several
    processes starting at once migrate the database exactly once.
    """
    while True:
        with db.transaction() as tx:
            if tx.dialect.exclusive_lock:
                tx.execute(tx.dialect.exclusive_lock)
            version = current_version(tx)
            step = next((m for m in MIGRATIONS if version < m.version <= target), None)
            if step is None:
                return version
            for statement in (*step.statements, *step.by_dialect.get(tx.dialect.name, ())):
                tx.execute(statement.replace("{id}", tx.dialect.id_column))
            tx.execute("INSERT INTO schema_version (version) VALUES (?)", (step.version,))
