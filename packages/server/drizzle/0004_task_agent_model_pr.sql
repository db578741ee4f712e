ALTER TABLE "tasks" ADD COLUMN "agent" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "pr_url" text;