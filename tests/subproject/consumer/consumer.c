// SPDX-License-Identifier: MIT
/* The smallest libvfiodev program: a context, the backends' names, and the
 * address rule; no device needed. Exit 0 when the library answers. */
#include <stdio.h>
#include <string.h>
#include <vfiodev.h>

int main(void)
{
	struct vfiodev_ctx *ctx;
	char bdf[VFIODEV_BDF_LEN];

	if (vfiodev_ctx_new(NULL, &ctx))
		return 1;
	printf("backends: %s %s %s\n", vfiodev_backend_name(VFIODEV_BACKEND_AUTO),
	       vfiodev_backend_name(VFIODEV_BACKEND_IOMMUFD),
	       vfiodev_backend_name(VFIODEV_BACKEND_CONTAINER));
	if (vfiodev_bdf_normalise("6a:01.0", bdf) || strcmp(bdf, "0000:6a:01.0"))
		return 1;
	printf("6a:01.0 is %s\n", bdf);
	vfiodev_ctx_unref(ctx);
	return 0;
}
