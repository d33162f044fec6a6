CREATE TABLE `rep_facts_versions` (
	`hash` text PRIMARY KEY NOT NULL,
	`facts` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
