import {
  ArchiveXIcon,
  CheckCircle2Icon,
  CircleDashedIcon,
  CircleSlashIcon,
  HourglassIcon,
  Loader2Icon,
  RotateCwIcon,
  XCircleIcon,
} from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import type { ExportJob } from '@/lib/exports/types';
import { JOB_STATUS_LABEL, JOB_STATUS_TONE, jobStatusKey, type JobStatusKey } from '@/lib/view-model/job-status';

const icons: Record<JobStatusKey, React.ReactNode> = {
  queued: <CircleDashedIcon aria-hidden />,
  running: <Loader2Icon aria-hidden className="motion-safe:animate-spin" />,
  retrying: <RotateCwIcon aria-hidden />,
  completed: <CheckCircle2Icon aria-hidden />,
  failed: <XCircleIcon aria-hidden />,
  cancelled: <CircleSlashIcon aria-hidden />,
  cancelling: <Loader2Icon aria-hidden className="motion-safe:animate-spin" />,
  awaiting_approval: <HourglassIcon aria-hidden />,
  expired: <ArchiveXIcon aria-hidden />,
};

/** Status as colour + icon + text, never colour alone. */
export function ExportStatusBadge({
  job,
  className,
}: {
  job: Pick<ExportJob, 'status' | 'cancel_requested_at'> & Partial<Pick<ExportJob, 'approval' | 'expired_at'>>;
  className?: string;
}) {
  const key = jobStatusKey(job);
  return (
    <Badge tone={JOB_STATUS_TONE[key]} className={className}>
      {icons[key]}
      {JOB_STATUS_LABEL[key]}
    </Badge>
  );
}
