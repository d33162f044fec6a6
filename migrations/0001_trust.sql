-- Client-chosen ids are unique per team, never across teams: an outcome id or an account domain another
-- team already uses no longer clashes (issue 15). SQLite cannot change a primary key, so both tables are
-- copied into their new shape.
CREATE TABLE `__new_outcomes` (
	`team_id` text NOT NULL,
	`id` text NOT NULL,
	`lead_id` text NOT NULL,
	`type` text NOT NULL,
	`amount` real,
	`occurred_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`team_id`, `id`)
);
--> statement-breakpoint
INSERT INTO `__new_outcomes` (`team_id`, `id`, `lead_id`, `type`, `amount`, `occurred_at`, `created_at`) SELECT `team_id`, `id`, `lead_id`, `type`, `amount`, `occurred_at`, `created_at` FROM `outcomes`;
--> statement-breakpoint
DROP TABLE `outcomes`;
--> statement-breakpoint
ALTER TABLE `__new_outcomes` RENAME TO `outcomes`;
--> statement-breakpoint
CREATE INDEX `outcomes_lead_idx` ON `outcomes` (`lead_id`);
--> statement-breakpoint
CREATE TABLE `__new_accounts` (
	`team_id` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`owner_rep_id` text,
	`strategic` integer DEFAULT false NOT NULL,
	`industry` text,
	`employees` integer,
	`arr` real,
	`territory_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`team_id`, `domain`)
);
--> statement-breakpoint
INSERT INTO `__new_accounts` (`team_id`, `domain`, `name`, `owner_rep_id`, `strategic`, `industry`, `employees`, `arr`, `territory_id`, `created_at`) SELECT `team_id`, `domain`, `name`, `owner_rep_id`, `strategic`, `industry`, `employees`, `arr`, `territory_id`, `created_at` FROM `accounts`;
--> statement-breakpoint
DROP TABLE `accounts`;
--> statement-breakpoint
ALTER TABLE `__new_accounts` RENAME TO `accounts`;
--> statement-breakpoint
-- Signatures of signed lead posts seen within the tolerance window: a replayed one is refused.
CREATE TABLE `signed_posts` (
	`site_id` text NOT NULL,
	`signature` text NOT NULL,
	`seen_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `signature`)
);
--> statement-breakpoint
CREATE INDEX `signed_posts_seen_idx` ON `signed_posts` (`seen_at`);
--> statement-breakpoint
-- A team's deliberate rules-only switch: a row while it is on.
CREATE TABLE `rules_only_switches` (
	`team_id` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`set_by` text NOT NULL,
	`set_at` integer NOT NULL
);
