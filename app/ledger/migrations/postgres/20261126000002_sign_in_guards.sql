-- A password someone else chose (a parent opening the sub-account, an operator resetting it) is
-- replaced by the user's own at the first sign-in: until then the user's sessions reach only the
-- change-password page. Users who exist already keep their passwords as they are. 0 or 1 rather than
-- BOOLEAN, which sqlx's Any driver cannot read from SQLite.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));

-- Where each user last signed in from, and when. An address that signed in to a login within the
-- last 30 days is known to it: strangers' guesses cannot make it wait, and its own failures before
-- that sign-in are forgiven. Rows of one user are written only while that user's row is locked.
CREATE TABLE sign_in_addresses (
    user_id           BIGINT NOT NULL REFERENCES users (id),
    address           TEXT   NOT NULL,
    last_signed_in_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, address)
);

-- sign_in_failures now holds every attempt from before its password is checked (one that proves
-- right is forgiven by its sign_in_addresses row), counted per pair, per address and per login.
CREATE INDEX sign_in_failures_by_pair ON sign_in_failures (login, address, at);
