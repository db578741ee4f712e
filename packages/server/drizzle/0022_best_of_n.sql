ALTER TABLE "repositories" ADD COLUMN "check_command" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempt_count" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "keep_mode" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "kept_attempt_id" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempt_of" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempt_number" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempt_rank" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempt_score" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_attempt_of_tasks_id_fk" FOREIGN KEY ("attempt_of") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tasks_attempt_of_idx" ON "tasks" USING btree ("attempt_of");