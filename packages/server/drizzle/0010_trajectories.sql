CREATE TABLE "trajectory_steps" (
	"run_id" text NOT NULL,
	"task_id" text NOT NULL,
	"step" integer NOT NULL,
	"after_seq" integer NOT NULL,
	"messages" jsonb NOT NULL,
	"chars" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trajectory_steps_run_id_step_pk" PRIMARY KEY("run_id","step")
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "agent_session" text;--> statement-breakpoint
ALTER TABLE "trajectory_steps" ADD CONSTRAINT "trajectory_steps_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trajectory_steps" ADD CONSTRAINT "trajectory_steps_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "trajectory_steps_task_idx" ON "trajectory_steps" USING btree ("task_id","after_seq");