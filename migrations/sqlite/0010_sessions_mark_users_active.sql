-- A session created or refreshed marks its user active (GET /users/count/active), in the
-- statement that writes the session. The user is the session's primary user, or the
-- session's user id when gatehouse does not know it.
CREATE TRIGGER sessions_mark_user_active_on_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO user_last_active (app_id, user_id, last_active_time)
    VALUES (
        NEW.app_id,
        COALESCE(
            (SELECT primary_user_id FROM users WHERE app_id = NEW.app_id AND user_id = NEW.user_id),
            NEW.user_id),
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    ON CONFLICT (app_id, user_id) DO UPDATE SET last_active_time = excluded.last_active_time;
END;
CREATE TRIGGER sessions_mark_user_active_on_refresh AFTER UPDATE OF refresh_token_hash_2 ON sessions BEGIN
    INSERT INTO user_last_active (app_id, user_id, last_active_time)
    VALUES (
        NEW.app_id,
        COALESCE(
            (SELECT primary_user_id FROM users WHERE app_id = NEW.app_id AND user_id = NEW.user_id),
            NEW.user_id),
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    ON CONFLICT (app_id, user_id) DO UPDATE SET last_active_time = excluded.last_active_time;
END;
