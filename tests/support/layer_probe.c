/* SPDX-License-Identifier: Apache-2.0 */
/* Compiled by tests/layers.cmake with one header forced in (-include) under a layer's include
 * directories: whether that layer can include the header at all. */
typedef int layer_probe_t;
