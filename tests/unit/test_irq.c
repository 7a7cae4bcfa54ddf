// SPDX-License-Identifier: MIT
/*
 * lib/irq.c: IRQ info, eventfd triggers on a range of vectors, disable,
 * mask/unmask where the index allows it, software triggers, and the
 * teardown of every trigger when the device closes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <limits.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "fixture.h"

#define BDF "0000:00:03.0"
#define INTX VFIODEV_PCI_INTX_IRQ
#define MSIX VFIODEV_PCI_MSIX_IRQ

static struct fake_pci *pci;
static struct vfiodev_device *dev;
static int efd[4];

static int irq_setup(void **state)
{
	fake_setup(state);
	pci = fake_std_device(BDF, 5, 0);
	dev = NULL;
	for (int i = 0; i < 4; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd[i] < 0)
			return -1;
	}
	return 0;
}

static int irq_teardown(void **state)
{
	vfiodev_device_close(dev);
	for (int i = 0; i < 4; i++)
		close(efd[i]);
	return fake_teardown(state);
}

static int live_triggers(void)
{
	struct fake_live l;

	fake_live(&l);
	return l.irq_triggers;
}

static void irq_info_reports_flags_and_count(void **state)
{
	struct vfiodev_irq_info info;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_get_info(dev, INTX, &info), 0);
	assert_int_equal(info.index, INTX);
	assert_int_equal(info.count, 1);
	assert_int_equal(info.flags, VFIODEV_IRQ_EVENTFD | VFIODEV_IRQ_MASKABLE |
					     VFIODEV_IRQ_AUTOMASKED);
	assert_int_equal(vfiodev_irq_get_info(dev, MSIX, &info), 0);
	assert_int_equal(info.count, 8);
	assert_int_equal(info.flags, VFIODEV_IRQ_EVENTFD | VFIODEV_IRQ_NORESIZE);
}

static void irq_info_index_out_of_range_is_einval(void **state)
{
	struct vfiodev_irq_info info;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_get_info(dev, FAKE_NR_IRQS, &info), -EINVAL);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_GET_IRQ_INFO), 0);
	assert_true(fake_log_has(LOG_ERR, "IRQ index 5 does not exist"));
	assert_int_equal(vfiodev_irq_get_info(dev, INTX, NULL), -EINVAL);
	assert_int_equal(vfiodev_irq_get_info(NULL, INTX, &info), -EINVAL);
}

static void set_eventfds_installs_triggers_on_the_vectors(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 2, 3, efd), 0);
	assert_int_equal(pci->irqs[MSIX].trigger[1], -1);
	assert_int_equal(pci->irqs[MSIX].trigger[2], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[3], efd[1]);
	assert_int_equal(pci->irqs[MSIX].trigger[4], efd[2]);
	assert_int_equal(pci->irqs[MSIX].trigger[5], -1);
	assert_int_equal(live_triggers(), 3);
}

static void set_eventfds_with_minus_one_leaves_a_vector_without(void **state)
{
	const int fds[2] = { efd[0], -1 };

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, fds), 0);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], -1);
	assert_int_equal(live_triggers(), 1);
}

static void set_eventfds_checks_the_vector_range(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 8, 1, efd), -EINVAL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 0, efd), -EINVAL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 6, 3, efd), -EINVAL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, UINT_MAX, 2, efd),
			 -EINVAL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, INTX, 0, 2, efd), -EINVAL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, FAKE_NR_IRQS, 0, 1, efd),
			 -EINVAL);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 0);
	assert_true(fake_log_has(LOG_ERR, "outside 0..7"));
	/* the last vector alone is inside */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 7, 1, efd), 0);
}

static void set_eventfds_needs_fds_and_a_device(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, NULL), -EINVAL);
	assert_int_equal(vfiodev_irq_set_eventfds(NULL, MSIX, 0, 1, efd), -EINVAL);
	assert_int_equal(vfiodev_irq_disable(NULL, MSIX), -EINVAL);
	assert_int_equal(vfiodev_irq_mask(NULL, INTX, 0, 1), -EINVAL);
	assert_int_equal(vfiodev_irq_unmask(NULL, INTX, 0, 1), -EINVAL);
	assert_int_equal(vfiodev_irq_trigger(NULL, INTX, 0, 1), -EINVAL);
}

static void set_eventfds_on_an_index_without_eventfds_is_enotsup(void **state)
{
	(void)state;
	pci->irqs[VFIODEV_PCI_ERR_IRQ].flags = 0;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_ERR_IRQ, 0, 1, efd),
			 -ENOTSUP);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 0);
}

static void set_eventfds_kernel_error_leaves_nothing_to_undo(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	fake_fail_ioctl(VFIO_DEVICE_SET_IRQS, ENOSPC, 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, efd), -ENOSPC);
	fake_fail_ioctl(VFIO_DEVICE_SET_IRQS, 0, 0);
	assert_int_equal(live_triggers(), 0);
	vfiodev_device_close(dev);
	dev = NULL;
	/* the failed index was never enabled: no disable at close */
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 1);
}

static void disable_tears_down_every_trigger_of_the_index(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 4, efd), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, INTX, 0, 1, efd), 0);
	assert_int_equal(live_triggers(), 5);
	assert_int_equal(vfiodev_irq_disable(dev, MSIX), 0);
	assert_int_equal(live_triggers(), 1);
	assert_int_equal(pci->irqs[INTX].trigger[0], efd[0]);
	assert_int_equal(vfiodev_irq_disable(dev, FAKE_NR_IRQS), -EINVAL);
}

static void mask_on_a_non_maskable_index_is_enotsup(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, efd), 0);
	assert_int_equal(vfiodev_irq_mask(dev, MSIX, 0, 1), -ENOTSUP);
	assert_int_equal(vfiodev_irq_unmask(dev, MSIX, 0, 1), -ENOTSUP);
	assert_true(fake_log_has(LOG_ERR, "IRQ index 2 is not maskable"));
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 1);
}

static void mask_and_unmask_intx(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, INTX, 0, 1, efd), 0);
	assert_int_equal(vfiodev_irq_mask(dev, INTX, 0, 1), 0);
	assert_int_equal(pci->irqs[INTX].masked, 1);
	assert_int_equal(vfiodev_irq_unmask(dev, INTX, 0, 1), 0);
	assert_int_equal(pci->irqs[INTX].masked, 0);
	assert_int_equal(vfiodev_irq_mask(dev, INTX, 1, 1), -EINVAL);
}

static void trigger_signals_the_eventfd(void **state)
{
	uint64_t v = 0;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, efd), 0);
	assert_int_equal(vfiodev_irq_trigger(dev, MSIX, 1, 1), 0);
	assert_int_equal(read(efd[0], &v, sizeof(v)), -1); /* vector 0: quiet */
	assert_int_equal(read(efd[1], &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 1);
	assert_int_equal(vfiodev_irq_trigger(dev, MSIX, 0, 9), -EINVAL);
}

static void triggers_are_torn_down_by_the_library_at_close(void **state)
{
	struct fake_implicit imp;

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 3, efd), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, INTX, 0, 1, efd + 3), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, VFIODEV_PCI_REQ_IRQ, 0,
						  1, efd + 3),
			 0);
	/* one index already disabled: close need not disable it again */
	assert_int_equal(vfiodev_irq_disable(dev, VFIODEV_PCI_REQ_IRQ), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 4);
	vfiodev_device_close(dev);
	dev = NULL;
	assert_int_equal(live_triggers(), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 6);
	/* disabled by the library, not by the kernel's release of the fd */
	fake_implicit(&imp);
	assert_int_equal(imp.irq_teardowns, 0);
}

/*
 * Growing an enabled MSI-X index: Linux before 6.5 (NORESIZE, the fake's
 * default) refuses it, so the library disables the index and enables it
 * again with every vector in one SET_IRQS.
 */
static void set_eventfds_grows_an_enabled_noresize_index_in_one_call(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, efd), 0);
	assert_int_equal(pci->irqs[MSIX].enabled, 1);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, efd), 0);
	assert_int_equal(pci->irqs[MSIX].enabled, 2);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[1]);
	assert_int_equal(live_triggers(), 2);
	/* the enable, then the disable and the re-enable with both */
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 3);
	assert_true(fake_log_has(LOG_INFO, "disabled and re-enabled"));
	assert_false(fake_log_has(LOG_ERR, ""));
}

static void growing_keeps_the_vectors_the_call_does_not_name(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, efd), 0);
	/* vector 3 only: 0 and 1 keep theirs, 2 has none */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 3, 1, efd + 3), 0);
	assert_int_equal(pci->irqs[MSIX].enabled, 4);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[1]);
	assert_int_equal(pci->irqs[MSIX].trigger[2], -1);
	assert_int_equal(pci->irqs[MSIX].trigger[3], efd[3]);
	assert_int_equal(live_triggers(), 3);
}

static void growing_replaces_overlapped_vectors_and_minus_one_clears_one(void **state)
{
	const int fds[3] = { efd[3], -1, efd[2] };

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 3, efd), 0);
	/* vectors 1..3: 1 replaced, 2 de-assigned, 3 new; 0 untouched */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 1, 3, fds), 0);
	assert_int_equal(pci->irqs[MSIX].enabled, 4);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[3]);
	assert_int_equal(pci->irqs[MSIX].trigger[2], -1);
	assert_int_equal(pci->irqs[MSIX].trigger[3], efd[2]);
}

static void a_call_inside_the_enabled_vectors_is_not_a_resize(void **state)
{
	const int fds[2] = { efd[2], -1 };

	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 3, efd), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 1, 2, fds), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 2);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[2]);
	assert_int_equal(pci->irqs[MSIX].trigger[2], -1);
	/* what the record says is what a later resize sends */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 3, 1, efd + 3), 0);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[2]);
	assert_int_equal(pci->irqs[MSIX].trigger[2], -1);
	assert_int_equal(pci->irqs[MSIX].trigger[3], efd[3]);
}

static void growing_a_resizable_index_is_one_set_irqs(void **state)
{
	(void)state;
	/* Linux 6.5+ with dynamic MSI-X: no NORESIZE on the MSI-X index */
	pci->irqs[MSIX].flags = VFIO_IRQ_INFO_EVENTFD;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, efd), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 1, 1, efd + 1), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 2);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[1]);
	assert_false(fake_log_has(LOG_INFO, "re-enabled"));
}

static void a_failed_reenable_restores_the_previous_vectors(void **state)
{
	int bad = dup(efd[0]), fds[2] = { efd[0], bad };

	(void)state;
	close(bad); /* a number that is no eventfd: the re-enable fails */
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, efd + 1), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, fds), -EBADF);
	assert_int_equal(pci->irqs[MSIX].enabled, 1);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[1]);
	assert_int_equal(live_triggers(), 1);
	assert_true(fake_log_has(LOG_ERR, "previous 1 vector(s) restored"));
	/* still the library's to disable at close */
	vfiodev_device_close(dev);
	dev = NULL;
	assert_int_equal(live_triggers(), 0);
}

static void a_reenable_short_of_vectors_restores_and_is_enospc(void **state)
{
	(void)state;
	pci->irqs[MSIX].avail = 2; /* the platform has two vectors free */
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, efd), 0);
	/* the kernel answers the re-enable with 2: not a success */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 2, 1, efd + 2),
			 -ENOSPC);
	assert_true(fake_log_has(LOG_ERR,
				 "only 2 vector(s) could be allocated; its previous 1 vector(s) restored"));
	assert_int_equal(pci->irqs[MSIX].enabled, 1);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	/* and the first enable likewise */
	assert_int_equal(vfiodev_irq_disable(dev, MSIX), 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 3, efd), -ENOSPC);
	assert_true(fake_log_has(LOG_ERR, "0+3): only 2 vector(s)"));
	assert_int_equal(live_triggers(), 0);
}

static void a_failed_disable_before_a_resize_changes_nothing(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, efd), 0);
	fake_fail_ioctl(VFIO_DEVICE_SET_IRQS, EIO, 0);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, efd), -EIO);
	fake_fail_ioctl(VFIO_DEVICE_SET_IRQS, 0, 0);
	assert_true(fake_log_has(LOG_ERR, "disabling it to grow from 1 to 2"));
	assert_int_equal(pci->irqs[MSIX].enabled, 1);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	/* the record is intact: the next grow sends vector 0's eventfd */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 1, 1, efd + 1), 0);
	assert_int_equal(pci->irqs[MSIX].trigger[0], efd[0]);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[1]);
}

static void a_failed_restore_leaves_the_index_disabled(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 1, efd), 0);
	/* the disable goes through, the re-enable and the restore fail */
	fake_fail_ioctl(VFIO_DEVICE_SET_IRQS, EIO, 1);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, efd), -EIO);
	fake_fail_ioctl(VFIO_DEVICE_SET_IRQS, 0, 0);
	assert_int_equal(pci->irqs[MSIX].enabled, 0);
	assert_int_equal(live_triggers(), 0);
	assert_true(fake_log_has(LOG_ERR, "the index is disabled"));
	/* a disabled index: the next call enables it afresh */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 1, 1, efd + 1), 0);
	assert_int_equal(pci->irqs[MSIX].enabled, 2);
	assert_int_equal(pci->irqs[MSIX].trigger[0], -1);
	assert_int_equal(pci->irqs[MSIX].trigger[1], efd[1]);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 5);
}

static void disable_forgets_the_vectors(void **state)
{
	(void)state;
	dev = fixture_open(BDF, NULL);
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 0, 2, efd), 0);
	assert_int_equal(vfiodev_irq_disable(dev, MSIX), 0);
	/* enabled afresh with 3 vectors; the old ones are not sent back */
	assert_int_equal(vfiodev_irq_set_eventfds(dev, MSIX, 2, 1, efd + 2), 0);
	assert_int_equal(fake_ioctl_count(VFIO_DEVICE_SET_IRQS), 3);
	assert_int_equal(pci->irqs[MSIX].trigger[0], -1);
	assert_int_equal(pci->irqs[MSIX].trigger[1], -1);
	assert_int_equal(pci->irqs[MSIX].trigger[2], efd[2]);
}

/* output structs can grow: each ends in a reserved tail the library
 * writes as zero, whatever the caller's memory held (none had room
 * before) */
static void irq_info_has_a_reserved_tail_written_as_zero(void **state)
{
	struct vfiodev_irq_info ii;

	(void)state;
	dev = fixture_open(BDF, NULL);
	memset(&ii, 0xff, sizeof(ii));
	assert_int_equal(vfiodev_irq_get_info(dev, 0, &ii), 0);
	assert_true(fixture_all_zero(ii.reserved, sizeof(ii.reserved)));
}

#define T(f) cmocka_unit_test_setup_teardown(f, irq_setup, irq_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(irq_info_reports_flags_and_count),
		T(irq_info_index_out_of_range_is_einval),
		T(set_eventfds_installs_triggers_on_the_vectors),
		T(set_eventfds_with_minus_one_leaves_a_vector_without),
		T(set_eventfds_checks_the_vector_range),
		T(set_eventfds_needs_fds_and_a_device),
		T(set_eventfds_on_an_index_without_eventfds_is_enotsup),
		T(set_eventfds_kernel_error_leaves_nothing_to_undo),
		T(disable_tears_down_every_trigger_of_the_index),
		T(mask_on_a_non_maskable_index_is_enotsup),
		T(mask_and_unmask_intx),
		T(trigger_signals_the_eventfd),
		T(triggers_are_torn_down_by_the_library_at_close),
		T(set_eventfds_grows_an_enabled_noresize_index_in_one_call),
		T(growing_keeps_the_vectors_the_call_does_not_name),
		T(growing_replaces_overlapped_vectors_and_minus_one_clears_one),
		T(a_call_inside_the_enabled_vectors_is_not_a_resize),
		T(growing_a_resizable_index_is_one_set_irqs),
		T(a_failed_reenable_restores_the_previous_vectors),
		T(a_reenable_short_of_vectors_restores_and_is_enospc),
		T(a_failed_disable_before_a_resize_changes_nothing),
		T(a_failed_restore_leaves_the_index_disabled),
		T(disable_forgets_the_vectors),
		T(irq_info_has_a_reserved_tail_written_as_zero),
	};

	return cmocka_run_group_tests_name("irq", tests, NULL, NULL);
}
