CREATE TABLE `assumption_checks` (
	`lead_has_no_signal_events` integer NOT NULL
);
