-- Talk's three call tables in SQLite's dialect, with the column names, types, defaults
-- and nullability that spreed's migrations give them (Talk 18), plus a few neighbouring
-- columns so the rows look like the server's. `*PREFIX*` is Nextcloud's table prefix.
--
-- talk_rooms: created as `talk_rooms` (Version2001Date20171026134605: id, name, token,
--   type, password, active_since/active_guests); lobby_state INTEGER NOT NULL DEFAULT 0 and
--   lobby_timer DATETIME NULL; listable SMALLINT UNSIGNED NULL DEFAULT 0;
--   default_permissions/call_permissions INTEGER NOT NULL DEFAULT 0
--   (Version13000Date20210921142733); breakout_room_mode/status INTEGER NOT NULL DEFAULT 0
--   (Version16000Date20221110151714); call_recording INTEGER NOT NULL DEFAULT 0
--   (Version16000Date20221208013745); recording_consent SMALLINT UNSIGNED NOT NULL DEFAULT 0
--   (Version18000Date20231005091416).
-- talk_attendees, talk_sessions: Version10000Date20201015134000 (last_joined_call and
--   last_ping are unix seconds in INTEGER columns, 0 = never); permissions INTEGER NOT NULL
--   DEFAULT 0 (Version13000Date20210921142733); phone_number/call_id VARCHAR(255) NULL
--   DEFAULT '' (Version18000Date20230928131717); talk_sessions.state SMALLINT UNSIGNED
--   NOT NULL DEFAULT 1 (Version18000Date20230920182747). Several sessions may belong to one
--   attendee (one per device), so attendee_id carries a plain index (ts_attendee_id,
--   Version12000Date20210217134030).
-- The same tables for PostgreSQL and MySQL/MariaDB: talk-tables.pgsql.sql, talk-tables.mysql.sql.

CREATE TABLE *PREFIX*talk_rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name VARCHAR(255) DEFAULT '',
    token VARCHAR(32) DEFAULT '',
    type INTEGER NOT NULL,
    password VARCHAR(255) DEFAULT '',
    active_since DATETIME DEFAULT NULL,
    active_guests INTEGER UNSIGNED DEFAULT 0 NOT NULL,
    lobby_state INTEGER DEFAULT 0 NOT NULL,
    lobby_timer DATETIME DEFAULT NULL,
    read_only INTEGER DEFAULT 0 NOT NULL,
    object_type VARCHAR(64) DEFAULT '',
    object_id VARCHAR(64) DEFAULT '',
    call_flag INTEGER DEFAULT 0 NOT NULL,
    default_permissions INTEGER DEFAULT 0 NOT NULL,
    call_permissions INTEGER DEFAULT 0 NOT NULL,
    listable SMALLINT UNSIGNED DEFAULT 0,
    breakout_room_mode INTEGER DEFAULT 0 NOT NULL,
    breakout_room_status INTEGER DEFAULT 0 NOT NULL,
    call_recording INTEGER DEFAULT 0 NOT NULL,
    recording_consent SMALLINT UNSIGNED DEFAULT 0 NOT NULL
);
CREATE UNIQUE INDEX *PREFIX*tr_room_token ON *PREFIX*talk_rooms (token);
CREATE INDEX *PREFIX*tr_listable ON *PREFIX*talk_rooms (listable);

CREATE TABLE *PREFIX*talk_attendees (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    room_id BIGINT UNSIGNED NOT NULL,
    actor_type VARCHAR(32) NOT NULL,
    actor_id VARCHAR(255) NOT NULL,
    display_name VARCHAR(255) DEFAULT '',
    pin VARCHAR(32) DEFAULT NULL,
    participant_type SMALLINT UNSIGNED DEFAULT 0 NOT NULL,
    favorite BOOLEAN DEFAULT 0,
    notification_level INTEGER DEFAULT 0,
    notification_calls INTEGER DEFAULT 1 NOT NULL,
    last_joined_call INTEGER UNSIGNED DEFAULT 0 NOT NULL,
    last_read_message BIGINT DEFAULT 0,
    last_mention_message BIGINT DEFAULT 0,
    permissions INTEGER DEFAULT 0 NOT NULL,
    access_token VARCHAR(64) DEFAULT NULL,
    remote_id VARCHAR(255) DEFAULT NULL,
    phone_number VARCHAR(255) DEFAULT '',
    call_id VARCHAR(255) DEFAULT ''
);
CREATE UNIQUE INDEX *PREFIX*ta_ident ON *PREFIX*talk_attendees (room_id, actor_type, actor_id);
CREATE INDEX *PREFIX*ta_roompin ON *PREFIX*talk_attendees (room_id, pin);
CREATE INDEX *PREFIX*ta_room ON *PREFIX*talk_attendees (room_id);
CREATE INDEX *PREFIX*ta_actor ON *PREFIX*talk_attendees (actor_type, actor_id);

CREATE TABLE *PREFIX*talk_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    attendee_id BIGINT UNSIGNED NOT NULL,
    session_id VARCHAR(512) NOT NULL,
    in_call INTEGER DEFAULT 0 NOT NULL,
    last_ping INTEGER UNSIGNED DEFAULT 0 NOT NULL,
    state SMALLINT UNSIGNED DEFAULT 1 NOT NULL
);
CREATE UNIQUE INDEX *PREFIX*ts_session ON *PREFIX*talk_sessions (session_id);
CREATE INDEX *PREFIX*ts_attendee_id ON *PREFIX*talk_sessions (attendee_id);
CREATE INDEX *PREFIX*ts_in_call ON *PREFIX*talk_sessions (in_call);
CREATE INDEX *PREFIX*ts_last_ping ON *PREFIX*talk_sessions (last_ping);
