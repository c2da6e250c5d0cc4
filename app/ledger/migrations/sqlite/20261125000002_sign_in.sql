-- People who sign in. Every user acts for one account; an account may have several users.
-- Logins are stored lowercased, so the unique index makes them unique regardless of case.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    login         TEXT   NOT NULL CHECK (login = lower(login) AND length(login) BETWEEN 3 AND 40),
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_by_login ON users (login);
CREATE INDEX users_by_account ON users (account_id);

-- Signed-in sessions, shared by every server process. Only a SHA-256 of the token is kept, so the
-- table alone cannot be used to sign in.
CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Failed sign-ins, counted per login and per address over a sliding window to refuse guessing.
CREATE TABLE sign_in_failures (
    id      INTEGER PRIMARY KEY,
    login   TEXT   NOT NULL,
    address TEXT   NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_login ON sign_in_failures (login, at);
CREATE INDEX sign_in_failures_by_address ON sign_in_failures (address, at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (at);
