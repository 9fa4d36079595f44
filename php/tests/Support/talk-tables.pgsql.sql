-- Talk's three call tables in PostgreSQL's dialect, as Nextcloud's Doctrine DBAL (3.x) creates
-- them from spreed's migrations (Talk 18); the same columns as talk-tables.sqlite.sql, which
-- names the migration of each. `*PREFIX*` is Nextcloud's table prefix.
--
-- Doctrine's types on PostgreSQL: Types::INTEGER → INT, SMALLINT → SMALLINT, BIGINT → BIGINT,
-- BOOLEAN → BOOLEAN, STRING → VARCHAR(length), DATETIME → TIMESTAMP(0) WITHOUT TIME ZONE (the
-- UTC text 'Y-m-d H:i:s' Nextcloud writes); 'unsigned' has no PostgreSQL form and is dropped;
-- an autoincrement INTEGER id is SERIAL, a BIGINT one BIGSERIAL. A column without 'notnull'
-- is NOT NULL (Doctrine's default).
--
-- talk_rooms (Version2001Date20171026134605, Version2001Date20180103144447 and later):
--   id INTEGER autoincrement; type INTEGER NOT NULL; token unique (tr_room_token);
--   active_since/lobby_timer DATETIME NULL; listable SMALLINT NULL DEFAULT 0 (tr_listable,
--   Version11000Date20201201102528); recording_consent SMALLINT NOT NULL DEFAULT 0.
-- talk_attendees (Version10000Date20201015134000): id BIGINT autoincrement, room_id BIGINT,
--   display_name VARCHAR(255) (Version14000Date20220328153054), favorite BOOLEAN NULL
--   (Version12000Date20210401124139), last_joined_call INTEGER NOT NULL DEFAULT 0 (unix seconds).
-- talk_sessions (Version10000Date20201015134000): id BIGINT autoincrement, session_id
--   VARCHAR(512) unique (ts_session), attendee_id BIGINT with a plain index ts_attendee_id
--   (Version12000Date20210217134030: several sessions per attendee), last_ping INTEGER NOT NULL
--   DEFAULT 0 (unix seconds), state SMALLINT NOT NULL DEFAULT 1 (Version18000Date20230920182747).

CREATE TABLE *PREFIX*talk_rooms (
    id SERIAL NOT NULL,
    name VARCHAR(255) DEFAULT '' NULL,
    token VARCHAR(32) DEFAULT '' NULL,
    type INT NOT NULL,
    password VARCHAR(255) DEFAULT '' NULL,
    active_since TIMESTAMP(0) WITHOUT TIME ZONE DEFAULT NULL NULL,
    active_guests INT DEFAULT 0 NOT NULL,
    lobby_state INT DEFAULT 0 NOT NULL,
    lobby_timer TIMESTAMP(0) WITHOUT TIME ZONE DEFAULT NULL NULL,
    read_only INT DEFAULT 0 NOT NULL,
    object_type VARCHAR(64) DEFAULT '' NULL,
    object_id VARCHAR(64) DEFAULT '' NULL,
    call_flag INT DEFAULT 0 NOT NULL,
    default_permissions INT DEFAULT 0 NOT NULL,
    call_permissions INT DEFAULT 0 NOT NULL,
    listable SMALLINT DEFAULT 0 NULL,
    breakout_room_mode INT DEFAULT 0 NOT NULL,
    breakout_room_status INT DEFAULT 0 NOT NULL,
    call_recording INT DEFAULT 0 NOT NULL,
    recording_consent SMALLINT DEFAULT 0 NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX *PREFIX*tr_room_token ON *PREFIX*talk_rooms (token);
CREATE INDEX *PREFIX*tr_listable ON *PREFIX*talk_rooms (listable);

CREATE TABLE *PREFIX*talk_attendees (
    id BIGSERIAL NOT NULL,
    room_id BIGINT NOT NULL,
    actor_type VARCHAR(32) NOT NULL,
    actor_id VARCHAR(255) NOT NULL,
    display_name VARCHAR(255) DEFAULT '' NULL,
    pin VARCHAR(32) DEFAULT NULL NULL,
    participant_type SMALLINT DEFAULT 0 NOT NULL,
    favorite BOOLEAN DEFAULT false NULL,
    notification_level INT DEFAULT 0 NULL,
    notification_calls INT DEFAULT 1 NOT NULL,
    last_joined_call INT DEFAULT 0 NOT NULL,
    last_read_message BIGINT DEFAULT 0 NULL,
    last_mention_message BIGINT DEFAULT 0 NULL,
    permissions INT DEFAULT 0 NOT NULL,
    access_token VARCHAR(64) DEFAULT NULL NULL,
    remote_id VARCHAR(255) DEFAULT NULL NULL,
    phone_number VARCHAR(255) DEFAULT '' NULL,
    call_id VARCHAR(255) DEFAULT '' NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX *PREFIX*ta_ident ON *PREFIX*talk_attendees (room_id, actor_type, actor_id);
CREATE INDEX *PREFIX*ta_roompin ON *PREFIX*talk_attendees (room_id, pin);
CREATE INDEX *PREFIX*ta_room ON *PREFIX*talk_attendees (room_id);
CREATE INDEX *PREFIX*ta_actor ON *PREFIX*talk_attendees (actor_type, actor_id);

CREATE TABLE *PREFIX*talk_sessions (
    id BIGSERIAL NOT NULL,
    attendee_id BIGINT NOT NULL,
    session_id VARCHAR(512) NOT NULL,
    in_call INT DEFAULT 0 NOT NULL,
    last_ping INT DEFAULT 0 NOT NULL,
    state SMALLINT DEFAULT 1 NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX *PREFIX*ts_session ON *PREFIX*talk_sessions (session_id);
CREATE INDEX *PREFIX*ts_attendee_id ON *PREFIX*talk_sessions (attendee_id);
CREATE INDEX *PREFIX*ts_in_call ON *PREFIX*talk_sessions (in_call);
CREATE INDEX *PREFIX*ts_last_ping ON *PREFIX*talk_sessions (last_ping);
