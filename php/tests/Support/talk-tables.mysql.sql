-- Talk's three call tables in MySQL/MariaDB's dialect, as Nextcloud's Doctrine DBAL (3.x)
-- creates them from spreed's migrations (Talk 18); the same columns as talk-tables.sqlite.sql,
-- which names the migration of each. `*PREFIX*` is Nextcloud's table prefix.
--
-- Doctrine's types on MySQL: Types::INTEGER → INT, SMALLINT → SMALLINT, BIGINT → BIGINT, each
-- UNSIGNED where the migration says 'unsigned'; BOOLEAN → TINYINT(1); STRING → VARCHAR(length);
-- DATETIME → DATETIME (the UTC text 'Y-m-d H:i:s' Nextcloud writes); autoincrement →
-- AUTO_INCREMENT. A column without 'notnull' is NOT NULL (Doctrine's default). Tables are InnoDB
-- in utf8mb4 with the binary collation, as Nextcloud creates them (`mysql.utf8mb4`).
--
-- talk_rooms (Version2001Date20171026134605, Version2001Date20180103144447 and later):
--   id INTEGER autoincrement; type INTEGER NOT NULL; token unique (tr_room_token);
--   active_since/lobby_timer DATETIME NULL; active_guests INTEGER UNSIGNED; listable SMALLINT
--   UNSIGNED NULL DEFAULT 0 (tr_listable, Version11000Date20201201102528); recording_consent
--   SMALLINT UNSIGNED NOT NULL DEFAULT 0 (Version18000Date20231005091416).
-- talk_attendees (Version10000Date20201015134000): id BIGINT autoincrement, room_id BIGINT
--   UNSIGNED, display_name VARCHAR(255) (Version14000Date20220328153054), participant_type
--   SMALLINT UNSIGNED, favorite BOOLEAN NULL (Version12000Date20210401124139), last_joined_call
--   INTEGER UNSIGNED NOT NULL DEFAULT 0 (unix seconds).
-- talk_sessions (Version10000Date20201015134000): id BIGINT autoincrement, attendee_id BIGINT
--   UNSIGNED with a plain index ts_attendee_id (Version12000Date20210217134030: several sessions
--   per attendee), session_id VARCHAR(512) unique (ts_session), last_ping INTEGER UNSIGNED NOT
--   NULL DEFAULT 0 (unix seconds), state SMALLINT UNSIGNED NOT NULL DEFAULT 1
--   (Version18000Date20230920182747).

CREATE TABLE *PREFIX*talk_rooms (
    id INT AUTO_INCREMENT NOT NULL,
    name VARCHAR(255) DEFAULT '' NULL,
    token VARCHAR(32) DEFAULT '' NULL,
    type INT NOT NULL,
    password VARCHAR(255) DEFAULT '' NULL,
    active_since DATETIME DEFAULT NULL NULL,
    active_guests INT UNSIGNED DEFAULT 0 NOT NULL,
    lobby_state INT DEFAULT 0 NOT NULL,
    lobby_timer DATETIME DEFAULT NULL NULL,
    read_only INT DEFAULT 0 NOT NULL,
    object_type VARCHAR(64) DEFAULT '' NULL,
    object_id VARCHAR(64) DEFAULT '' NULL,
    call_flag INT DEFAULT 0 NOT NULL,
    default_permissions INT DEFAULT 0 NOT NULL,
    call_permissions INT DEFAULT 0 NOT NULL,
    listable SMALLINT UNSIGNED DEFAULT 0 NULL,
    breakout_room_mode INT DEFAULT 0 NOT NULL,
    breakout_room_status INT DEFAULT 0 NOT NULL,
    call_recording INT DEFAULT 0 NOT NULL,
    recording_consent SMALLINT UNSIGNED DEFAULT 0 NOT NULL,
    UNIQUE INDEX *PREFIX*tr_room_token (token),
    INDEX *PREFIX*tr_listable (listable),
    PRIMARY KEY (id)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB;

CREATE TABLE *PREFIX*talk_attendees (
    id BIGINT AUTO_INCREMENT NOT NULL,
    room_id BIGINT UNSIGNED NOT NULL,
    actor_type VARCHAR(32) NOT NULL,
    actor_id VARCHAR(255) NOT NULL,
    display_name VARCHAR(255) DEFAULT '' NULL,
    pin VARCHAR(32) DEFAULT NULL NULL,
    participant_type SMALLINT UNSIGNED DEFAULT 0 NOT NULL,
    favorite TINYINT(1) DEFAULT 0 NULL,
    notification_level INT DEFAULT 0 NULL,
    notification_calls INT DEFAULT 1 NOT NULL,
    last_joined_call INT UNSIGNED DEFAULT 0 NOT NULL,
    last_read_message BIGINT DEFAULT 0 NULL,
    last_mention_message BIGINT DEFAULT 0 NULL,
    permissions INT DEFAULT 0 NOT NULL,
    access_token VARCHAR(64) DEFAULT NULL NULL,
    remote_id VARCHAR(255) DEFAULT NULL NULL,
    phone_number VARCHAR(255) DEFAULT '' NULL,
    call_id VARCHAR(255) DEFAULT '' NULL,
    UNIQUE INDEX *PREFIX*ta_ident (room_id, actor_type, actor_id),
    INDEX *PREFIX*ta_roompin (room_id, pin),
    INDEX *PREFIX*ta_room (room_id),
    INDEX *PREFIX*ta_actor (actor_type, actor_id),
    PRIMARY KEY (id)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB;

CREATE TABLE *PREFIX*talk_sessions (
    id BIGINT AUTO_INCREMENT NOT NULL,
    attendee_id BIGINT UNSIGNED NOT NULL,
    session_id VARCHAR(512) NOT NULL,
    in_call INT DEFAULT 0 NOT NULL,
    last_ping INT UNSIGNED DEFAULT 0 NOT NULL,
    state SMALLINT UNSIGNED DEFAULT 1 NOT NULL,
    UNIQUE INDEX *PREFIX*ts_session (session_id),
    INDEX *PREFIX*ts_attendee_id (attendee_id),
    INDEX *PREFIX*ts_in_call (in_call),
    INDEX *PREFIX*ts_last_ping (last_ping),
    PRIMARY KEY (id)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB;
