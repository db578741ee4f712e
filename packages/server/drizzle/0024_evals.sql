CREATE TABLE "eval_cases" (
	"eval_id" text NOT NULL,
	"case_id" text NOT NULL,
	"position" integer NOT NULL,
	"repo_id" text NOT NULL,
	"commit_sha" text NOT NULL,
	"prompt" text NOT NULL,
	"check" text NOT NULL,
	"hidden" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "eval_cases_eval_id_case_id_pk" PRIMARY KEY("eval_id","case_id")
);
--> statement-breakpoint
CREATE TABLE "eval_results" (
	"id" text PRIMARY KEY NOT NULL,
	"eval_id" text NOT NULL,
	"case_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"position" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"task_id" text,
	"agent_run_id" text,
	"check_run_id" text,
	"duration_ms" integer,
	"steps" integer,
	"input_tokens" integer,
	"output_tokens" integer,
	"cost_usd" double precision,
	"files_changed" integer,
	"insertions" integer,
	"deletions" integer,
	"patch" text,
	"output" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "evals" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"created_by" text,
	"suite" text NOT NULL,
	"agent" text NOT NULL,
	"model" text NOT NULL,
	"attempts" integer NOT NULL,
	"concurrency" integer NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "eval_cases" ADD CONSTRAINT "eval_cases_eval_id_evals_id_fk" FOREIGN KEY ("eval_id") REFERENCES "public"."evals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_cases" ADD CONSTRAINT "eval_cases_repo_id_repositories_id_fk" FOREIGN KEY ("repo_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_results" ADD CONSTRAINT "eval_results_eval_id_evals_id_fk" FOREIGN KEY ("eval_id") REFERENCES "public"."evals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_results" ADD CONSTRAINT "eval_results_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evals" ADD CONSTRAINT "evals_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evals" ADD CONSTRAINT "evals_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "eval_results_attempt_idx" ON "eval_results" USING btree ("eval_id","case_id","attempt");--> statement-breakpoint
CREATE UNIQUE INDEX "eval_results_task_idx" ON "eval_results" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "eval_results_status_idx" ON "eval_results" USING btree ("eval_id","status");--> statement-breakpoint
CREATE INDEX "evals_workspace_idx" ON "evals" USING btree ("workspace_id","created_at");