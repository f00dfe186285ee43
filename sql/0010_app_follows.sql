-- Follower edges live in their own table, not in a grain's state: a popular mentor can have 100,000
-- followers, and the notification fan-out pages through them by (mentor_id, mentee_id).
CREATE TABLE follows (
    mentor_id   varchar(64) NOT NULL,
    mentee_id   varchar(64) NOT NULL,
    followed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mentor_id, mentee_id)
);

CREATE INDEX follows_by_mentee ON follows (mentee_id);
