-- The upcoming-session quota counts a mentor's sessions that have not ended (SessionState Scheduled 0, Starting 1,
-- Live 2, Ending 3) on every schedule. Through mentor_sessions_page that count read every session the mentor ever
-- had, so scheduling slowed with history (a 30-minute churn soak left one mentor 19,000 cancelled sessions). This
-- index holds only the sessions that have not ended: the count reads those, whatever the history.
CREATE INDEX mentor_sessions_upcoming ON mentor_sessions (mentor_id) WHERE state IN (0, 1, 2, 3);
